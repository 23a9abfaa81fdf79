// Operator functions: requeue() takes a booking out of manual review, assign_manually()
// seats a booking on tables an operator picked (pipeline 'manual'). Both serialise with the
// coordinator on the restaurant's advisory lock and record their transition like it does.
// (cancel_booking() is plain SQL: a cancellation is the same write an application makes.)
#include "pg/booking_writes.hpp"
#include "pg/claim.hpp"
#include "pg/extension_version.hpp"
#include "pg/restaurant_lock.hpp"
#include "pg/result_set.hpp"
#include "pg/settled_seatings.hpp"
#include "pg/subtransaction.hpp"
#include "pg/transaction_hooks.hpp"
#include "pg/transition_events.hpp"

namespace av3::pg {

namespace {

Statement& select_tables() {
    static Statement statement(
        "SELECT t.id, t.restaurant_id, t.label, t.capacity, t.active FROM "
        "assignment_v3.restaurant_tables t "
        "WHERE t.id = ANY($1)",
        {UUIDARRAYOID});
    return statement;
}

// An unsettled seating that made the exclusion check refuse ("NOT a.settled": the predicate of
// the constraint's index, which the planner can then use); settled ones are looked for apart.
Statement& find_conflict() {
    static Statement statement(
        "SELECT a.table_id, a.booking_id, lower(a.during), upper(a.during) FROM "
        "assignment_v3.table_assignments a "
        "WHERE a.table_id = ANY($1) AND NOT a.settled AND a.during && pg_catalog.tstzrange($2, $3) "
        "  AND a.booking_id <> $4 LIMIT 1",
        {UUIDARRAYOID, TIMESTAMPTZOID, TIMESTAMPTZOID, UUIDOID});
    return statement;
}

std::string held_by(const Uuid& table, const Uuid& booking, const Interval& during) {
    return "Table " + table.to_string() + " is assigned to booking " + booking.to_string() +
           " from " + timestamptz_text(during.lower) + " to " + timestamptz_text(during.upper);
}

// Which booking holds one of `tables` for part of `during`, said for an operator.
std::string conflict_detail(const Uuid& booking_id, const Uuid& restaurant_id,
                            const std::vector<Uuid>& tables, const Interval& during) {
    Rows other = find_conflict().run({{uuid_array_datum(tables), false},
                                      {TimestampTzGetDatum(during.lower), false},
                                      {TimestampTzGetDatum(during.upper), false},
                                      {uuid_datum(booking_id), false}});
    if (!other.empty()) {
        return held_by(other[0].uuid(1), other[0].uuid(2),
                       Interval{other[0].timestamptz(3), other[0].timestamptz(4)}) +
               ".";
    }
    for (const Uuid& table : tables) {
        // The booking's own settled seating is back after the refused write rolled back.
        std::optional<SettledSeating> settled = find_settled_seating(restaurant_id, table, during);
        if (settled && settled->booking_id != booking_id) {
            return held_by(table, settled->booking_id, settled->during) + " (a settled seating).";
        }
    }
    return "A table is already assigned for part of that time.";
}

// The operator's write of a booking: its next version, in `to`, with its transition event.
BookingWrite operator_write(const ClaimedBooking& booking, AssignmentState to, std::string_view why,
                            TransitionCause cause, const std::vector<Uuid>* tables = nullptr) {
    BookingWrite write = transition_write(booking, to, why);
    add_transition_event(write.events, StateTransition{booking.view.id, booking.restaurant_id,
                                                       state_name(booking.view.state), to, why,
                                                       write.new_version, cause, tables});
    return write;
}

void write_one(TransitionCause cause, BookingWrite write) {
    BookingWriter writer(cause);
    writer.add(std::move(write));
    writer.flush_bulk();
}

ClaimedBooking locked_booking(const Uuid& id) {
    std::optional<ClaimedBooking> booking = lock_booking(id);
    if (!booking) {
        throw UserError(ERRCODE_NO_DATA_FOUND, "booking " + id.to_string() + " does not exist", {},
                        "Check the id against assignment_v3.bookings.");
    }
    return std::move(*booking);
}

Datum requeue(FunctionCallInfo fcinfo) {
    const Uuid id = uuid_argument(fcinfo, 0, "booking_id");
    require_writable_current_schema("requeue");
    SpiConnection spi;
    const ClaimedBooking booking = locked_booking(id);
    if (booking.view.state != AssignmentState::ManualReview) {
        throw UserError(
            ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE,
            "booking " + id.to_string() + " is not in manual review",
            "Its assignment_state is '" + std::string(state_name(booking.view.state)) + "'.",
            "Only bookings in manual_review can be requeued; modify or cancel the others.");
    }
    // Back to the start: attempts reset, due now, waiting from now (latency).
    BookingWrite write = operator_write(booking, AssignmentState::Created, reason::kRequeued,
                                        TransitionCause::Requeue);
    const Micros now = pg_call([] { return GetCurrentTransactionStartTimestamp(); });
    write.attempts = 0;
    write.next_attempt_at = now;
    write.queued_at = now;
    write_one(TransitionCause::Requeue, std::move(write));
    wake_workers_at_commit();
    spi.finish();
    return text_datum("created");
}

std::vector<Uuid> table_ids_argument(FunctionCallInfo fcinfo) {
    if (PG_ARGISNULL(1)) {
        throw UserError(
            ERRCODE_NULL_VALUE_NOT_ALLOWED, "table_ids must not be NULL", {},
            "Pass the ids of the tables to seat the booking at, e.g. ARRAY['...']::uuid[].");
    }
    struct Elements {
        Datum* values;
        bool* nulls;
        int count;
    };
    Elements e = pg_call([&] {
        Elements out{nullptr, nullptr, 0};
        ArrayType* array = PG_GETARG_ARRAYTYPE_P(1);
        if (ARR_NDIM(array) > 1) {
            ereport(ERROR, (errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
                            errmsg("table_ids must be a one-dimensional array")));
        }
        deconstruct_array(array, UUIDOID, UUID_LEN, false, TYPALIGN_CHAR, &out.values, &out.nulls,
                          &out.count);
        return out;
    });
    std::vector<Uuid> ids;
    for (int i = 0; i < e.count; ++i) {
        if (e.nulls[i]) {
            throw UserError(ERRCODE_NULL_VALUE_NOT_ALLOWED, "table_ids must not contain NULL");
        }
        Uuid id = uuid_from_datum(e.values[i]);
        if (std::find(ids.begin(), ids.end(), id) != ids.end()) {
            throw UserError(ERRCODE_INVALID_PARAMETER_VALUE,
                            "table " + id.to_string() + " is listed twice in table_ids");
        }
        ids.push_back(id);
    }
    if (ids.empty()) {
        throw UserError(ERRCODE_INVALID_PARAMETER_VALUE, "table_ids must name at least one table",
                        {}, "To release a booking's tables, cancel or modify it instead.");
    }
    return ids;
}

Datum assign_manually(FunctionCallInfo fcinfo) {
    const Uuid id = uuid_argument(fcinfo, 0, "booking_id");
    const std::vector<Uuid> tables = table_ids_argument(fcinfo);
    require_writable_current_schema("assign_manually");
    SpiConnection spi;
    const ClaimedBooking booking = locked_booking(id);
    const std::string name = "booking " + id.to_string();
    if (booking.view.state == AssignmentState::Cancelled) {
        throw UserError(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE, name + " is cancelled", {},
                        "Create a new booking instead.");
    }
    lock_restaurant(booking.restaurant_id);

    Rows rows = select_tables().run({{uuid_array_datum(tables), false}});
    int seats = 0;
    std::vector<Uuid> found;
    for (std::uint64_t i = 0; i < rows.size(); ++i) {
        Row row = rows[i];
        const Uuid table = row.uuid(1);
        found.push_back(table);
        if (row.uuid(2) != booking.restaurant_id) {
            throw UserError(ERRCODE_INVALID_PARAMETER_VALUE,
                            "table " + table.to_string() + " (" + row.text(3) +
                                ") belongs to another restaurant",
                            "It belongs to restaurant " + row.uuid(2).to_string() + "; " + name +
                                " is at restaurant " + booking.restaurant_id.to_string() + ".",
                            "Pick tables of the booking's restaurant.");
        }
        if (!row.boolean(5)) {
            throw UserError(ERRCODE_INVALID_PARAMETER_VALUE,
                            "table " + table.to_string() + " (" + row.text(3) + ") is inactive", {},
                            "Activate it first (UPDATE assignment_v3.restaurant_tables SET active "
                            "= true ...).");
        }
        seats += row.int4(4);
    }
    for (const Uuid& t : tables) {
        if (std::find(found.begin(), found.end(), t) == found.end()) {
            throw UserError(ERRCODE_NO_DATA_FOUND, "table " + t.to_string() + " does not exist", {},
                            "Check the ids against assignment_v3.restaurant_tables.");
        }
    }
    if (seats < booking.view.party_size) {
        throw UserError(ERRCODE_INVALID_PARAMETER_VALUE,
                        "the tables seat " + std::to_string(seats) + " guests, " + name +
                            " is for " + std::to_string(booking.view.party_size),
                        {}, "Add tables, or change the party size first.");
    }

    const Micros lower = booking.view.start_at;
    const Micros upper =
        booking.view.end_at + RestaurantCache::instance().info(booking.restaurant_id).turn_buffer;
    // Its old tables released and the new ones taken in one write; a table another booking
    // holds meanwhile makes the exclusion constraint refuse, which is told with the other booking.
    BookingWrite write = operator_write(booking, AssignmentState::Confirmed, {},
                                        TransitionCause::ManualAssignment, &tables);
    write.release_tables = true;
    write.pipeline = "manual";
    for (const Uuid& table : tables) {
        write.assignments.push_back(AssignmentRow{table, Interval{lower, upper}});
    }
    std::optional<SubtransactionError> conflict =
        in_subtransaction([&] { write_one(TransitionCause::ManualAssignment, std::move(write)); });
    if (conflict && conflict->sqlstate == ERRCODE_EXCLUSION_VIOLATION) {
        throw UserError(ERRCODE_EXCLUSION_VIOLATION,
                        "cannot seat " + name + ": a table is already taken",
                        conflict_detail(id, booking.restaurant_id, tables, Interval{lower, upper}),
                        "Pick free tables, or move the other booking first.");
    }
    if (conflict) {
        throw UserError(conflict->sqlstate, conflict->message);
    }
    spi.finish();
    return uuid_array_datum(tables);
}

}  // namespace

}  // namespace av3::pg

extern "C" {

PG_FUNCTION_INFO_V1(av3_requeue);
PGDLLEXPORT Datum av3_requeue(PG_FUNCTION_ARGS) {
    return av3::pg::cpp_entry([&] { return av3::pg::requeue(fcinfo); });
}

PG_FUNCTION_INFO_V1(av3_assign_manually);
PGDLLEXPORT Datum av3_assign_manually(PG_FUNCTION_ARGS) {
    return av3::pg::cpp_entry([&] { return av3::pg::assign_manually(fcinfo); });
}
}
