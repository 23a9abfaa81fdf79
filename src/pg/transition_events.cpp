#include "pg/transition_events.hpp"

namespace av3::pg {

void add_transition_event(EventBuffer& events, const StateTransition& t) {
    EventContext ctx;
    ctx.add("from", t.from).add("to", state_name(t.to));
    if (!t.reason.empty()) {
        ctx.add("reason", t.reason);
    }
    ctx.add("version", t.version).add("cause", cause_name(t.cause));
    if (t.tables != nullptr && !t.tables->empty()) {
        ctx.add_uuids("tables", *t.tables);
    }
    events.add(source::kStateMachine, "booking.assignment_state_transition", Severity::Info,
               t.booking_id, t.restaurant_id, std::move(ctx), t.at);
}

}  // namespace av3::pg
