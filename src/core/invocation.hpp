// One V3 coordinator invocation for one booking, decided in pure C++ (docs/architecture.md §5):
// given the booking, the restaurant's inventory, schedule and covers, and the rate limiter's
// answer, it returns the outcome, its reason, the state transitions in order and the tables.
// The Postgres side claims, locks, persists and emits events; it never decides.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/backoff.hpp"
#include "core/covers.hpp"
#include "core/inventory.hpp"
#include "core/optimal_fit.hpp"
#include "core/rate_schedule.hpp"
#include "core/schedule.hpp"
#include "core/state_machine.hpp"

namespace av3 {

enum class Outcome { Confirmed, Retry, ManualReview, Noop, Error };

std::string_view outcome_name(Outcome outcome);
// The event type of an outcome: coordinator.confirmed, coordinator.retry, ...
std::string_view outcome_event_type(Outcome outcome);

// What brought the booking to the coordinator (coordinator.start's `trigger`).
enum class InvocationTrigger { Creation, Retry, Modification, Requeue, InventoryChange };

std::string_view trigger_name(InvocationTrigger trigger);

// Reasons, as recorded in context.reason and bookings.last_reason.
namespace reason {
constexpr std::string_view kNoAssignment = "no_assignment";
constexpr std::string_view kRateLimited = "rate_limited";
constexpr std::string_view kCapacityExceeded = "capacity_exceeded";
constexpr std::string_view kPartyTooLarge = "party_too_large";
constexpr std::string_view kNoSuitableTable = "no_suitable_table";
constexpr std::string_view kNoTables = "no_tables";
// Start before it was booked (inserted or changed to a time already past), or already over.
constexpr std::string_view kInThePast = "in_the_past";
// Seated, then its table changed, and nothing else is free: a person decides now.
constexpr std::string_view kNoTableAfterInventoryChange = "no_table_after_inventory_change";
constexpr std::string_view kRetriesExhausted = "retries_exhausted";
constexpr std::string_view kAlreadyAssigned = "already_assigned";
constexpr std::string_view kCancelled = "cancelled";
constexpr std::string_view kInManualReview = "in_manual_review";
constexpr std::string_view kVersionConflict = "version_conflict";
constexpr std::string_view kNotInRollout = "not_in_rollout";
constexpr std::string_view kLockContention = "lock_contention";
constexpr std::string_view kCircuitOpen = "circuit_open";
constexpr std::string_view kUnexpectedError = "unexpected_error";
// Why a booking went back to the start (its last_reason and transition reason), which is also
// what brings it to the coordinator next (its trigger).
constexpr std::string_view kModified = "modified";
constexpr std::string_view kRequeued = "requeued";
constexpr std::string_view kInventoryChange = "inventory_change";
}  // namespace reason

struct BookingView {
    Uuid id;
    int party_size = 0;
    Micros start_at = 0;
    Micros end_at = 0;
    AssignmentState state = AssignmentState::Created;
    int version = 0;
    int attempts = 0;  // invocations that tried to fit, before this one
    std::string zone_preference;
    Micros queued_at = 0;  // when this version of the booking started waiting
    InvocationTrigger trigger = InvocationTrigger::Creation;
    // Rate-limited before and now due: the limiter reserved its slot then; it is not charged
    // again (rate_schedule.hpp).
    bool holds_rate_slot = false;
};

// True when the booking cannot be seated because of its times: it starts before the moment it
// was booked (queued_at), or it is over by `now`. A booking for "now" (a walk-in) is not.
bool is_in_the_past(const BookingView& booking, Micros now);

struct InvocationSettings {
    int max_retries = 5;  // retries after the first attempt; then manual review
    BackoffPolicy backoff;
    RatePolicy rate;  // per restaurant
};

struct Transition {
    AssignmentState from;
    AssignmentState to;
    std::string_view reason;  // empty for the steps of a success
    int version;              // after the transition
};

struct InvocationPlan {
    Outcome outcome = Outcome::Noop;
    std::string_view reason;  // empty exactly when the outcome is a success
    std::vector<Transition> transitions;
    AssignmentState final_state = AssignmentState::Created;
    int final_version = 0;
    int attempts = 0;        // after this invocation
    Micros retry_delay = 0;  // for Retry
    FitResult fit;           // for Confirmed
    // For ManualReview: the legacy planner's rule would have seated the party now
    // (core/legacy_baseline.hpp). Not for bookings in the past: nobody seats those.
    bool legacy_would_seat = false;

    bool changes_booking() const { return !transitions.empty(); }
};

struct RestaurantView {
    const Inventory& inventory;
    const Schedule& schedule;
    const CoversLedger& covers;
    Micros turn_buffer = 0;
    // The restaurant's rate schedule, advanced by the decision; null: no rate limit (shadow
    // plans measure the assignment, not the limiter).
    RateSchedule* rate_schedule = nullptr;
};

// The interval a booking occupies a table: [start_at, end_at + turn_buffer).
Interval occupied_interval(const BookingView& booking, Micros turn_buffer);

// Decides one invocation at `now`: the order of the checks is the order of docs/architecture.md §5
// (a booking in the past is not made to wait for the limiter first).
InvocationPlan plan_invocation(const BookingView& booking, const RestaurantView& restaurant,
                               const InvocationSettings& settings, Micros now);

}  // namespace av3
