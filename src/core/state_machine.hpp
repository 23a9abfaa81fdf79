// The assignment state machine (docs/architecture.md §3): states, and the one table of legal
// transitions.
//
//   created -> capacity_verified -> table_selected -> confirmed
//   with retry_scheduled (runnable again once next_attempt_at passes), manual_review
//   (left only through an operator function) and cancelled (terminal).
//
// Every writer consults this table: the coordinator before it records a transition, and
// the bookings trigger before it accepts a state write. The names are the values stored
// in bookings.assignment_state.
#pragma once

#include <optional>
#include <string_view>

namespace av3 {

enum class AssignmentState {
    Created,
    CapacityVerified,
    TableSelected,
    Confirmed,
    RetryScheduled,
    ManualReview,
    Cancelled,
};

constexpr int kAssignmentStateCount = 7;

std::string_view state_name(AssignmentState state);
std::optional<AssignmentState> parse_state(std::string_view name);

// The bookings.status that goes with a state: confirmed, cancelled, or pending for the others.
// The one mapping every writer uses (a check constraint holds the database to it too).
std::string_view status_for_state(AssignmentState state);

// True when the coordinator may pick the booking up (given that it is due).
bool is_runnable(AssignmentState state);
// True for states a booking only passes through inside one coordinator invocation.
bool is_intermediate(AssignmentState state);

// Why a transition happens; recorded in the transition event. Each cause allows a
// subset of the table below (a modification may reset any live booking, an operator may
// confirm from manual review, ...).
enum class TransitionCause {
    Coordinator,       // an invocation of the V3 coordinator
    Modification,      // party size or time changed by the application
    Cancellation,      // cancel_booking() or status set to cancelled
    Requeue,           // requeue() by an operator
    ManualAssignment,  // assign_manually() by an operator
    LegacyPlanner,     // the legacy planner writes its outcome directly (no state machine)
    InventoryChange,   // its table was deactivated, shrunk, re-zoned or un-joined: re-seat it
};

std::string_view cause_name(TransitionCause cause);

// The transition table. Self-transitions are legal only where listed
// (retry_scheduled -> retry_scheduled: rate-limited again while waiting).
bool transition_allowed(AssignmentState from, AssignmentState to, TransitionCause cause);

// True when a single committed write may take a booking from `from` to `to` for `cause`:
// through one or more legal transitions, or none (from == to: the write only reschedules).
// Intermediate states are never committed, so they are not a legal end point.
bool write_allowed(AssignmentState from, AssignmentState to, TransitionCause cause);

}  // namespace av3
