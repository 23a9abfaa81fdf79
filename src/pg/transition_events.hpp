// The event of a booking's state transition: booking.assignment_state_transition, source
// assignment.state_machine, context {from, to, reason?, version, cause, tables?}
// (docs/architecture.md, "Event contract"). The one builder, whoever moves the booking: the
// coordinator, the bookings guard (modification, cancellation), the operator functions and the
// re-seating after an inventory change.
#pragma once

#include <string_view>
#include <vector>

#include "core/state_machine.hpp"
#include "core/types.hpp"
#include "pg/event_log.hpp"

namespace av3::pg {

struct StateTransition {
    Uuid booking_id;
    Uuid restaurant_id;
    std::string_view from;  // the state's name (as stored: the guard may read an unknown one)
    AssignmentState to;
    std::string_view reason;  // empty for the steps of a success
    int version;              // after the transition
    TransitionCause cause;
    const std::vector<Uuid>* tables = nullptr;  // the tables it was seated at, if any
    Micros at = 0;                              // 0: now
};

void add_transition_event(EventBuffer& events, const StateTransition& t);

}  // namespace av3::pg
