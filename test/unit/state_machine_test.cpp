#include <gtest/gtest.h>

#include <set>
#include <utility>

#include "core/state_machine.hpp"

namespace av3 {
namespace {

using S = AssignmentState;
using C = TransitionCause;

std::vector<S> all_states() {
    std::vector<S> states;
    for (int i = 0; i < kAssignmentStateCount; ++i) {
        states.push_back(static_cast<S>(i));
    }
    return states;
}

TEST(StateMachine, NamesRoundTrip) {
    for (S state : all_states()) {
        auto parsed = parse_state(state_name(state));
        ASSERT_TRUE(parsed.has_value()) << state_name(state);
        EXPECT_EQ(*parsed, state);
    }
    EXPECT_FALSE(parse_state("confirmed ").has_value());
    EXPECT_FALSE(parse_state("").has_value());
    EXPECT_EQ(state_name(S::RetryScheduled), "retry_scheduled");
}

// The coordinator's table, written out completely: anything not listed is illegal.
TEST(StateMachine, CoordinatorTransitionTableIsExactlyTheDesign) {
    const std::set<std::pair<S, S>> legal = {
        {S::Created, S::CapacityVerified},       {S::Created, S::RetryScheduled},
        {S::Created, S::ManualReview},           {S::RetryScheduled, S::CapacityVerified},
        {S::RetryScheduled, S::RetryScheduled},  {S::RetryScheduled, S::ManualReview},
        {S::CapacityVerified, S::TableSelected}, {S::CapacityVerified, S::RetryScheduled},
        {S::CapacityVerified, S::ManualReview},  {S::TableSelected, S::Confirmed},
    };
    for (S from : all_states()) {
        for (S to : all_states()) {
            EXPECT_EQ(transition_allowed(from, to, C::Coordinator), legal.count({from, to}) == 1)
                << state_name(from) << " -> " << state_name(to);
        }
    }
}

TEST(StateMachine, TerminalAndEscalatedStatesAreLeftOnlyByOperatorsOrTheApplication) {
    for (S to : all_states()) {
        EXPECT_FALSE(transition_allowed(S::Cancelled, to, C::Coordinator));
        EXPECT_FALSE(transition_allowed(S::Cancelled, to, C::Modification));
        EXPECT_FALSE(transition_allowed(S::Cancelled, to, C::Requeue));
        EXPECT_FALSE(transition_allowed(S::Cancelled, to, C::ManualAssignment));
        EXPECT_FALSE(transition_allowed(S::ManualReview, to, C::Coordinator));
    }
    EXPECT_TRUE(transition_allowed(S::ManualReview, S::Created, C::Requeue));
    EXPECT_FALSE(transition_allowed(S::Confirmed, S::Created, C::Requeue));
    EXPECT_TRUE(transition_allowed(S::ManualReview, S::Confirmed, C::ManualAssignment));
    EXPECT_TRUE(transition_allowed(S::Confirmed, S::Confirmed, C::ManualAssignment));
    EXPECT_FALSE(transition_allowed(S::TableSelected, S::Confirmed, C::ManualAssignment));
}

TEST(StateMachine, ModificationAndCancellationReachEveryLiveState) {
    for (S from : all_states()) {
        const bool live = from != S::Cancelled;
        EXPECT_EQ(transition_allowed(from, S::Created, C::Modification), live) << state_name(from);
        EXPECT_EQ(transition_allowed(from, S::Cancelled, C::Cancellation), live)
            << state_name(from);
        EXPECT_FALSE(transition_allowed(from, S::Confirmed, C::Modification));
    }
}

TEST(StateMachine, LegacyPlannerSeatsOrEscalatesRunnableBookingsOnly) {
    for (S from : all_states()) {
        EXPECT_EQ(transition_allowed(from, S::Confirmed, C::LegacyPlanner), is_runnable(from));
        EXPECT_EQ(transition_allowed(from, S::ManualReview, C::LegacyPlanner), is_runnable(from));
        EXPECT_FALSE(transition_allowed(from, S::CapacityVerified, C::LegacyPlanner));
    }
}

TEST(StateMachine, AnInventoryChangeSendsOnlySeatedBookingsBack) {
    for (S from : all_states()) {
        for (S to : all_states()) {
            EXPECT_EQ(transition_allowed(from, to, C::InventoryChange),
                      from == S::Confirmed && to == S::Created)
                << state_name(from) << " -> " << state_name(to);
        }
    }
}

TEST(StateMachine, EachStateHasItsStatus) {
    for (S state : all_states()) {
        const std::string_view status = status_for_state(state);
        EXPECT_EQ(status == "confirmed", state == S::Confirmed) << state_name(state);
        EXPECT_EQ(status == "cancelled", state == S::Cancelled) << state_name(state);
        EXPECT_TRUE(status == "confirmed" || status == "cancelled" || status == "pending");
    }
}

TEST(StateMachine, RunnableAndIntermediateSets) {
    std::set<S> runnable;
    std::set<S> intermediate;
    for (S state : all_states()) {
        if (is_runnable(state)) {
            runnable.insert(state);
        }
        if (is_intermediate(state)) {
            intermediate.insert(state);
        }
    }
    EXPECT_EQ(runnable, (std::set<S>{S::Created, S::RetryScheduled}));
    EXPECT_EQ(intermediate, (std::set<S>{S::CapacityVerified, S::TableSelected}));
}

}  // namespace
}  // namespace av3

namespace av3 {
namespace {

TEST(StateMachine, CommittedWritesFollowPathsAndNeverEndInAnIntermediateState) {
    using S = AssignmentState;
    using C = TransitionCause;
    EXPECT_TRUE(write_allowed(S::Created, S::Confirmed, C::Coordinator));
    EXPECT_TRUE(write_allowed(S::RetryScheduled, S::Confirmed, C::Coordinator));
    EXPECT_TRUE(write_allowed(S::Created, S::ManualReview, C::Coordinator));
    EXPECT_TRUE(write_allowed(S::Created, S::Created, C::Coordinator));  // error: reschedule only
    EXPECT_FALSE(write_allowed(S::Created, S::CapacityVerified, C::Coordinator));
    EXPECT_FALSE(write_allowed(S::ManualReview, S::Confirmed, C::Coordinator));
    EXPECT_FALSE(write_allowed(S::Confirmed, S::RetryScheduled, C::Coordinator));
    EXPECT_FALSE(write_allowed(S::Cancelled, S::Created, C::Coordinator));
    EXPECT_TRUE(write_allowed(S::ManualReview, S::Created, C::Requeue));
    EXPECT_FALSE(write_allowed(S::RetryScheduled, S::Created, C::Requeue));
    EXPECT_TRUE(write_allowed(S::Created, S::Confirmed, C::LegacyPlanner));
    EXPECT_FALSE(write_allowed(S::ManualReview, S::Confirmed, C::LegacyPlanner));
}

}  // namespace
}  // namespace av3
