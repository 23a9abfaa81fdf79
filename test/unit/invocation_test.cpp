#include <gtest/gtest.h>

#include "core/invocation.hpp"
#include "test_inventory.hpp"

namespace av3 {
namespace {

using S = AssignmentState;
using testing::edge;
using testing::table;

struct Fixture {
    Inventory inventory =
        Inventory::build({table(1, 2), table(2, 4), table(3, 4)}, {edge(2, 3)}, 3);
    Schedule schedule{inventory};
    CoversLedger covers{0};
    InvocationSettings settings;

    RestaurantView view() { return RestaurantView{inventory, schedule, covers, 15}; }
};

BookingView booking(int party, S state = S::Created, int attempts = 0) {
    BookingView b;
    b.id = Uuid::from_number(99);
    b.party_size = party;
    b.start_at = 1000;
    b.end_at = 2000;
    b.state = state;
    b.version = 7;
    b.attempts = attempts;
    return b;
}

void expect_legal(const InvocationPlan& plan) {
    for (const Transition& t : plan.transitions) {
        EXPECT_TRUE(transition_allowed(t.from, t.to, TransitionCause::Coordinator))
            << state_name(t.from) << " -> " << state_name(t.to);
    }
    EXPECT_EQ(plan.reason.empty(), plan.outcome == Outcome::Confirmed);
}

TEST(Invocation, ConfirmsThroughEveryStepAndBumpsTheVersionPerStep) {
    Fixture f;
    InvocationPlan plan = plan_invocation(booking(3), f.view(), f.settings, 0);
    expect_legal(plan);
    ASSERT_EQ(plan.outcome, Outcome::Confirmed);
    ASSERT_EQ(plan.transitions.size(), 3u);
    EXPECT_EQ(plan.transitions[0].to, S::CapacityVerified);
    EXPECT_EQ(plan.transitions[1].to, S::TableSelected);
    EXPECT_EQ(plan.transitions[2].to, S::Confirmed);
    EXPECT_EQ(plan.transitions[2].version, 10);
    EXPECT_EQ(plan.final_version, 10);
    EXPECT_EQ(plan.attempts, 1);
    ASSERT_TRUE(plan.fit.found());
    EXPECT_EQ(plan.fit.option->capacity, 4);
}

TEST(Invocation, RetriesWithBackoffThenEscalates) {
    Fixture f;
    f.settings.max_retries = 2;
    f.schedule.reserve(0, Interval{0, 5000});
    f.schedule.reserve(1, Interval{0, 5000});
    f.schedule.reserve(2, Interval{0, 5000});
    InvocationPlan first = plan_invocation(booking(2), f.view(), f.settings, 0);
    expect_legal(first);
    EXPECT_EQ(first.outcome, Outcome::Retry);
    EXPECT_EQ(first.reason, reason::kNoAssignment);
    EXPECT_EQ(first.final_state, S::RetryScheduled);
    EXPECT_EQ(first.attempts, 1);
    EXPECT_GT(first.retry_delay, 0);
    InvocationPlan second =
        plan_invocation(booking(2, S::RetryScheduled, 1), f.view(), f.settings, 0);
    EXPECT_EQ(second.outcome, Outcome::Retry);
    InvocationPlan third =
        plan_invocation(booking(2, S::RetryScheduled, 2), f.view(), f.settings, 0);
    expect_legal(third);
    EXPECT_EQ(third.outcome, Outcome::ManualReview);
    EXPECT_EQ(third.reason, reason::kRetriesExhausted);
    EXPECT_EQ(third.final_state, S::ManualReview);
}

TEST(Invocation, RateLimitIsARetryThatKeepsTheRetryBudget) {
    Fixture f;
    InvocationPlan plan =
        plan_invocation(booking(2, S::RetryScheduled, 3), f.view(), f.settings, 2500);
    expect_legal(plan);
    EXPECT_EQ(plan.outcome, Outcome::Retry);
    EXPECT_EQ(plan.reason, reason::kRateLimited);
    EXPECT_EQ(plan.retry_delay, 2500);
    EXPECT_EQ(plan.attempts, 3);
}

TEST(Invocation, EscalatesWhatCanNeverBeSeated) {
    Fixture f;
    EXPECT_EQ(plan_invocation(booking(9), f.view(), f.settings, 0).reason, reason::kPartyTooLarge);
    Inventory empty = Inventory::build({}, {}, 3);
    Schedule s(empty);
    CoversLedger c(0);
    InvocationPlan none =
        plan_invocation(booking(2), RestaurantView{empty, s, c, 0}, f.settings, 0);
    expect_legal(none);
    EXPECT_EQ(none.reason, reason::kNoTables);
    Inventory picky = Inventory::build({table(1, 8, "main", 6)}, {}, 3);
    Schedule ps(picky);
    EXPECT_EQ(plan_invocation(booking(2), RestaurantView{picky, ps, c, 0}, f.settings, 0).reason,
              reason::kNoSuitableTable);
}

TEST(Invocation, CapacityIsCheckedBeforeTheFit) {
    Fixture f;
    f.covers = CoversLedger(6);
    f.covers.add(Interval{500, 1500}, 4);
    InvocationPlan plan = plan_invocation(booking(3), f.view(), f.settings, 0);
    expect_legal(plan);
    EXPECT_EQ(plan.outcome, Outcome::Retry);
    EXPECT_EQ(plan.reason, reason::kCapacityExceeded);
    ASSERT_EQ(plan.transitions.size(), 1u);
    EXPECT_EQ(plan.transitions[0].from, S::Created);
}

TEST(Invocation, NonRunnableBookingsAreNoops) {
    Fixture f;
    EXPECT_EQ(plan_invocation(booking(2, S::Confirmed), f.view(), f.settings, 0).reason,
              reason::kAlreadyAssigned);
    EXPECT_EQ(plan_invocation(booking(2, S::Cancelled), f.view(), f.settings, 0).reason,
              reason::kCancelled);
    EXPECT_EQ(plan_invocation(booking(2, S::ManualReview), f.view(), f.settings, 0).reason,
              reason::kInManualReview);
    InvocationPlan plan = plan_invocation(booking(2, S::TableSelected), f.view(), f.settings, 0);
    EXPECT_EQ(plan.outcome, Outcome::Noop);
    EXPECT_FALSE(plan.changes_booking());
}

TEST(Invocation, TurnBufferExtendsTheOccupiedInterval) {
    Fixture f;
    // Table 1 (2 seats) is busy from 2010: with a 15-unit buffer, [1000, 2015) overlaps it.
    f.schedule.reserve(f.inventory.index_of(Uuid::from_number(1)), Interval{2010, 3000});
    InvocationPlan plan = plan_invocation(booking(2), f.view(), f.settings, 0);
    ASSERT_TRUE(plan.fit.found());
    EXPECT_EQ(plan.fit.option->capacity, 4);
}

}  // namespace
}  // namespace av3
