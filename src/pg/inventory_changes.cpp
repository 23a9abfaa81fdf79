// Re-seating after an inventory change (docs/architecture.md, "Inventory changes"): the AFTER
// STATEMENT trigger of restaurant_tables (UPDATE) and table_adjacency (UPDATE, DELETE). For the
// restaurants the statement changed it finds the seated bookings whose tables can no longer seat
// them (assignment_v3_internal.seating_problems(), the predicate check_invariants() reports
// with), and sends each upcoming one back through the pipeline: confirmed -> created (cause
// inventory_change, reason what changed), its tables released, due now; the coordinator then
// re-seats it, or sends it to manual review. Bookings under way keep their seats; the statement
// warns about them. It waits for the restaurants' advisory locks first: a batch seating them at
// the changed tables right now finishes before they are looked at.
#include "core/invocation.hpp"
#include "pg/booking_writes.hpp"
#include "pg/claim.hpp"
#include "pg/restaurant_lock.hpp"
#include "pg/spi.hpp"
#include "pg/transaction_hooks.hpp"
#include "pg/transition_events.hpp"

namespace av3::pg {

namespace {

Statement& select_problems() {
    static Statement statement(
        "SELECT p.booking_id, p.reason, p.detail, p.under_way "
        "FROM assignment_v3_internal.seating_problems($1) p ORDER BY p.booking_id",
        {UUIDARRAYOID}, Planning::PlanEachTime);
    return statement;
}

struct Problem {
    Uuid booking_id;
    std::string reason;
    std::string detail;
    bool under_way;
};

// One booking may have several problems: the first (in the function's order) is its reason.
std::vector<Problem> problems_of(const std::vector<Uuid>& restaurants) {
    Rows rows = select_problems().run({{uuid_array_datum(restaurants), false}});
    std::vector<Problem> problems;
    for (std::uint64_t i = 0; i < rows.size(); ++i) {
        const Uuid id = rows[i].uuid(1);
        if (!problems.empty() && problems.back().booking_id == id) {
            continue;
        }
        problems.push_back(Problem{id, rows[i].text(2), rows[i].text(3), rows[i].boolean(4)});
    }
    return problems;
}

BookingWrite reseat_write(const ClaimedBooking& booking, const Problem& problem, Micros now) {
    BookingWrite write = transition_write(booking, AssignmentState::Created, reason::kInventoryChange);
    write.attempts = 0;
    write.next_attempt_at = now;
    write.queued_at = now;
    write.release_tables = true;
    add_transition_event(
        write.events,
        StateTransition{booking.view.id, booking.restaurant_id, state_name(booking.view.state),
                        AssignmentState::Created, problem.reason, write.new_version,
                        TransitionCause::InventoryChange});
    return write;
}

std::string list_ids(const std::vector<const Problem*>& problems) {
    std::string out;
    for (std::size_t i = 0; i < problems.size() && i < 10; ++i) {
        out += (out.empty() ? "" : ", ") + problems[i]->booking_id.to_string() + " (" +
               problems[i]->detail + ")";
    }
    if (problems.size() > 10) {
        out += ", ...";
    }
    return out;
}

Datum reseat_affected_bookings(FunctionCallInfo fcinfo) {
    SpiConnection spi;
    register_transition_tables(fcinfo);
    Rows changed = run_query("SELECT DISTINCT restaurant_id FROM changed_rows ORDER BY 1");
    std::vector<Uuid> restaurants;
    for (std::uint64_t i = 0; i < changed.size(); ++i) {
        restaurants.push_back(changed[i].uuid(1));
    }
    if (restaurants.empty()) {
        spi.finish();
        return PointerGetDatum(nullptr);
    }
    for (const Uuid& restaurant : restaurants) {
        lock_restaurant(restaurant);
    }
    inventory_changed_in_transaction();  // this backend's cached inventories are stale already

    const std::vector<Problem> problems = problems_of(restaurants);
    const Micros now = now_micros();
    BookingWriter writer(TransitionCause::InventoryChange);
    std::vector<const Problem*> reseated;
    std::vector<const Problem*> under_way;
    for (const Problem& problem : problems) {
        if (problem.under_way) {
            under_way.push_back(&problem);
            continue;
        }
        std::optional<ClaimedBooking> booking = lock_booking(problem.booking_id);
        if (!booking || booking->view.state != AssignmentState::Confirmed) {
            continue;
        }
        writer.add(reseat_write(*booking, problem, now));
        reseated.push_back(&problem);
    }
    writer.flush_bulk();
    if (!reseated.empty()) {
        report(NOTICE,
               std::to_string(reseated.size()) +
                   " upcoming booking(s) go back through the pipeline to be seated again",
               list_ids(reseated));
        wake_workers_at_commit();
    }
    if (!under_way.empty()) {
        report(
            WARNING,
            std::to_string(under_way.size()) +
                " booking(s) under way keep tables that can no longer seat them",
            list_ids(under_way) + ". assignment_v3.check_invariants() lists them until they end.");
    }
    spi.finish();
    return PointerGetDatum(nullptr);
}

}  // namespace

}  // namespace av3::pg

extern "C" {

PG_FUNCTION_INFO_V1(av3_reseat_affected_bookings);
PGDLLEXPORT Datum av3_reseat_affected_bookings(PG_FUNCTION_ARGS) {
    return av3::pg::cpp_entry([&] { return av3::pg::reseat_affected_bookings(fcinfo); });
}
}
