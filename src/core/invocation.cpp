#include "core/invocation.hpp"

#include "core/legacy_baseline.hpp"

#include <algorithm>

namespace av3 {

namespace {

using S = AssignmentState;

// Accumulates transitions, bumping the version once per step (optimistic locking: every
// write checks the version it read and stores the one after its last step).
class PlanBuilder {
public:
    explicit PlanBuilder(const BookingView& booking) {
        plan_.final_state = booking.state;
        plan_.final_version = booking.version;
        plan_.attempts = booking.attempts;
    }

    PlanBuilder& step(S to, std::string_view why = {}) {
        ++plan_.final_version;
        plan_.transitions.push_back(Transition{plan_.final_state, to, why, plan_.final_version});
        plan_.final_state = to;
        return *this;
    }

    InvocationPlan finish(Outcome outcome, std::string_view why = {}) {
        plan_.outcome = outcome;
        plan_.reason = why;
        return std::move(plan_);
    }

    InvocationPlan& plan() { return plan_; }

private:
    InvocationPlan plan_;
};

InvocationPlan noop(const BookingView& booking, std::string_view why) {
    return PlanBuilder(booking).finish(Outcome::Noop, why);
}

InvocationPlan manual_review(PlanBuilder& builder, std::string_view why) {
    builder.step(S::ManualReview, why);
    return builder.finish(Outcome::ManualReview, why);
}

// A manual review of a booking the restaurant might have seated: records the legacy baseline.
InvocationPlan manual_review(PlanBuilder& builder, std::string_view why, const BookingView& booking,
                             const RestaurantView& restaurant) {
    InvocationPlan plan = manual_review(builder, why);
    plan.legacy_would_seat = legacy_would_seat(booking, restaurant);
    return plan;
}

// A failed attempt: retry with backoff, or manual review once the retries are used up.
InvocationPlan retry_or_escalate(PlanBuilder& builder, const BookingView& booking,
                                 const RestaurantView& restaurant,
                                 const InvocationSettings& settings, std::string_view why) {
    InvocationPlan& plan = builder.plan();
    plan.attempts = booking.attempts + 1;
    if (plan.attempts > settings.max_retries) {
        return manual_review(builder, reason::kRetriesExhausted, booking, restaurant);
    }
    plan.retry_delay = retry_delay(settings.backoff, plan.attempts, booking.id.stable_hash());
    builder.step(S::RetryScheduled, why);
    return builder.finish(Outcome::Retry, why);
}

}  // namespace

std::string_view outcome_name(Outcome outcome) {
    switch (outcome) {
        case Outcome::Confirmed:
            return "confirmed";
        case Outcome::Retry:
            return "retry";
        case Outcome::ManualReview:
            return "manual_review";
        case Outcome::Noop:
            return "noop";
        case Outcome::Error:
            return "error";
    }
    return "error";
}

std::string_view outcome_event_type(Outcome outcome) {
    switch (outcome) {
        case Outcome::Confirmed:
            return "coordinator.confirmed";
        case Outcome::Retry:
            return "coordinator.retry";
        case Outcome::ManualReview:
            return "coordinator.manual_review";
        case Outcome::Noop:
            return "coordinator.noop";
        case Outcome::Error:
            return "coordinator.error";
    }
    return "coordinator.error";
}

std::string_view trigger_name(InvocationTrigger trigger) {
    switch (trigger) {
        case InvocationTrigger::Creation:
            return "creation";
        case InvocationTrigger::Retry:
            return "retry";
        case InvocationTrigger::Modification:
            return "modification";
        case InvocationTrigger::Requeue:
            return "requeue";
        case InvocationTrigger::InventoryChange:
            return "inventory_change";
    }
    return "creation";
}

bool is_in_the_past(const BookingView& booking, Micros now) {
    return booking.start_at < booking.queued_at || booking.end_at <= now;
}

Interval occupied_interval(const BookingView& booking, Micros turn_buffer) {
    return Interval{booking.start_at, booking.end_at + turn_buffer};
}

InvocationPlan plan_invocation(const BookingView& booking, const RestaurantView& restaurant,
                               const InvocationSettings& settings, Micros now) {
    switch (booking.state) {
        case S::Confirmed:
            return noop(booking, reason::kAlreadyAssigned);
        case S::Cancelled:
            return noop(booking, reason::kCancelled);
        case S::ManualReview:
            return noop(booking, reason::kInManualReview);
        case S::CapacityVerified:
        case S::TableSelected:
            // Intermediate states are never committed; seeing one means another writer raced us.
            return noop(booking, reason::kVersionConflict);
        case S::Created:
        case S::RetryScheduled:
            break;
    }

    PlanBuilder builder(booking);
    if (is_in_the_past(booking, now)) {
        return manual_review(builder, reason::kInThePast);
    }
    if (restaurant.rate_schedule != nullptr && !booking.holds_rate_slot) {
        const RateDecision rate =
            schedule_invocation(*restaurant.rate_schedule, settings.rate, now);
        if (!rate.admitted) {
            // Not an attempt: the booking keeps its retry budget, and comes back at its slot.
            builder.plan().retry_delay = std::max<Micros>(1, rate.slot - now);
            builder.step(S::RetryScheduled, reason::kRateLimited);
            return builder.finish(Outcome::Retry, reason::kRateLimited);
        }
    }

    const Inventory& inventory = restaurant.inventory;
    if (inventory.empty()) {
        return manual_review(builder, reason::kNoTables, booking, restaurant);
    }
    if (booking.party_size > inventory.max_capacity()) {
        return manual_review(builder, reason::kPartyTooLarge, booking, restaurant);
    }
    if (!inventory.could_seat(booking.party_size)) {
        return manual_review(builder, reason::kNoSuitableTable, booking, restaurant);
    }

    const Interval seated{booking.start_at, booking.end_at};
    if (!restaurant.covers.admits(seated, booking.party_size)) {
        return retry_or_escalate(builder, booking, restaurant, settings, reason::kCapacityExceeded);
    }
    builder.step(S::CapacityVerified);

    FitRequest request;
    request.party_size = booking.party_size;
    request.during = occupied_interval(booking, restaurant.turn_buffer);
    request.zone_preference = booking.zone_preference;
    FitResult fit = optimal_fit(inventory, restaurant.schedule, request);
    if (!fit.found()) {
        if (booking.trigger == InvocationTrigger::InventoryChange) {
            // It was seated: waiting for a table to free up would leave the guest unconfirmed.
            return manual_review(builder, reason::kNoTableAfterInventoryChange, booking,
                                 restaurant);
        }
        return retry_or_escalate(builder, booking, restaurant, settings, reason::kNoAssignment);
    }
    builder.plan().fit = fit;
    builder.plan().attempts = booking.attempts + 1;
    builder.step(S::TableSelected);
    builder.step(S::Confirmed);
    return builder.finish(Outcome::Confirmed);
}

}  // namespace av3
