// The bookings trigger (BEFORE INSERT OR UPDATE, FOR EACH ROW): the state machine's guard.
//
// Applications may insert bookings (in their initial state), change party_size, start_at,
// end_at and zone_preference, reschedule next_attempt_at, and cancel by setting status to
// 'cancelled'. Everything else about a booking's assignment belongs to the extension: a write
// that changes it is refused, with a message that says what to use instead, unless it comes
// from the extension's own code, whose writes are checked against the transition table.
//
// A change of party size or time sends the booking back to 'created' and releases its tables;
// a cancellation releases its tables and makes the restaurant's waiting retries due now. The
// guard only decides and edits the row; what that does to other rows is done at the end of the
// statement (application_writes.hpp), so that statements over many bookings work.
//
// A restore is not an application write: rows a superuser copies in with COPY (what pg_restore
// and a plain dump run through psql do) are let in as they are, and the session is registered
// as a restore, which pauses the workers of the database until it ends. Applications, which
// are not superusers, cannot use that door; a superuser can disable triggers anyway.
#include "pg/booking_guard.hpp"

#include "core/invocation.hpp"
#include "core/state_machine.hpp"
#include "pg/application_writes.hpp"
#include "pg/spi.hpp"
#include "pg/transaction_hooks.hpp"
#include "pg/postgres.hpp"
#include "pg/row_trigger.hpp"
#include "pg/shared_state.hpp"

extern "C" {
#include "tcop/pquery.h"
}

namespace av3::pg {

namespace {

// The columns the guard reads or writes, by name (attribute numbers come from the relation).
struct BookingColumns {
    int id, restaurant_id, party_size, start_at, end_at, status, assignment_state,
        assignment_version, attempts, next_attempt_at, last_reason, updated_at, queued_at;

    explicit BookingColumns(TupleDesc desc) {
        id = column(desc, "id");
        restaurant_id = column(desc, "restaurant_id");
        party_size = column(desc, "party_size");
        start_at = column(desc, "start_at");
        end_at = column(desc, "end_at");
        status = column(desc, "status");
        assignment_state = column(desc, "assignment_state");
        assignment_version = column(desc, "assignment_version");
        attempts = column(desc, "attempts");
        next_attempt_at = column(desc, "next_attempt_at");
        last_reason = column(desc, "last_reason");
        updated_at = column(desc, "updated_at");
        queued_at = column(desc, "queued_at");
    }

    static int column(TupleDesc desc, const char* name) {
        return column_number(desc, "bookings", name);
    }
};

// The values of one row version.
struct BookingRow {
    Uuid id;
    Uuid restaurant_id;
    bool restaurant_null = false;
    int party_size = 0;
    Micros start_at = 0;
    Micros end_at = 0;
    std::string status;
    std::string state_text;
    std::optional<AssignmentState> state;
    int version = 0;
    int attempts = 0;
    std::string last_reason;
    bool last_reason_null = true;

    BookingRow(HeapTuple tuple, TupleDesc desc, const BookingColumns& c) {
        Row row(tuple, desc);
        id = row.uuid(c.id);
        restaurant_id = row.uuid(c.restaurant_id);
        restaurant_null = row.is_null(c.restaurant_id);
        party_size = row.int4(c.party_size);
        start_at = row.timestamptz(c.start_at);
        end_at = row.timestamptz(c.end_at);
        status = row.text(c.status);
        state_text = row.text(c.assignment_state);
        state = parse_state(state_text);
        version = row.int4(c.assignment_version);
        attempts = row.int4(c.attempts);
        last_reason_null = row.is_null(c.last_reason);
        last_reason = row.text(c.last_reason);
    }
};

constexpr const char* kAllowedChanges =
    "Applications may change party_size, start_at, end_at and zone_preference, and cancel by "
    "setting status to "
    "'cancelled' (or call assignment_v3.cancel_booking()); use assignment_v3.assign_manually() to "
    "seat a booking "
    "and assignment_v3.requeue() to take it out of manual review.";

}  // namespace

UserError illegal_own_transition(const Uuid& booking, std::string_view from_text,
                                 std::string_view to_text, TransitionCause cause) {
    return UserError(ERRCODE_CHECK_VIOLATION,
                     "illegal assignment state transition for booking " + booking.to_string(),
                     "assignment_v3 (" + std::string(cause_name(cause)) +
                         ") tried to move it from '" + std::string(from_text) + "' to '" +
                         std::string(to_text) + "'.",
                     "This is a bug in assignment_v3; please report it with this message.");
}

namespace {

void refuse(const std::string& message, const std::string& detail,
            const std::string& hint = kAllowedChanges) {
    throw UserError(ERRCODE_CHECK_VIOLATION, message, detail, hint);
}

// A superuser's COPY into bookings: a restore (see the top of this file). The user is the one
// outside this SECURITY DEFINER trigger.
bool is_restore_write() {
    return pg_call([] {
        return superuser_arg(GetOuterUserId()) && ActivePortal != nullptr &&
               ActivePortal->commandTag == CMDTAG_COPY;
    });
}

HeapTuple check_insert(HeapTuple tuple, TupleDesc desc, const BookingColumns& c) {
    if (current_internal_write()) {
        return tuple;
    }
    if (is_restore_write()) {
        pg_call([] { register_restore_session(); });
        return tuple;
    }
    BookingRow row(tuple, desc, c);
    if (row.state != AssignmentState::Created || row.status != "pending" || row.version != 0 ||
        row.attempts != 0) {
        refuse(
            "new bookings start with status 'pending', assignment_state 'created', version 0 and "
            "no attempts",
            "The new row has status '" + row.status + "', assignment_state '" + row.state_text +
                "', version " + std::to_string(row.version) + " and " +
                std::to_string(row.attempts) + " attempts.",
            "Insert the booking with the defaults: assignment_v3 assigns it, or seat it yourself "
            "with assignment_v3.assign_manually(). To restore a dump, restore it as a superuser "
            "with pg_restore or psql (COPY): see docs/operations.md.");
    }
    return tuple;
}

HeapTuple check_update(HeapTuple old_tuple, HeapTuple new_tuple, TupleDesc desc,
                       const BookingColumns& c) {
    const BookingRow before(old_tuple, desc, c);
    const BookingRow after(new_tuple, desc, c);
    const std::string booking = "booking " + before.id.to_string();

    if (before.restaurant_id != after.restaurant_id || after.restaurant_null) {
        refuse("the restaurant of " + booking + " cannot change",
               "restaurant_id would change from " + before.restaurant_id.to_string() + ".",
               "Cancel the booking and create a new one at the other restaurant.");
    }
    if (auto cause = current_internal_write()) {
        if (!before.state || !after.state || !write_allowed(*before.state, *after.state, *cause)) {
            throw illegal_own_transition(before.id, before.state_text, after.state_text, *cause);
        }
        return new_tuple;
    }

    const bool state_changed = before.state_text != after.state_text;
    const bool managed_changed = before.version != after.version ||
                                 before.attempts != after.attempts ||
                                 before.last_reason_null != after.last_reason_null ||
                                 before.last_reason != after.last_reason;
    const bool status_changed = before.status != after.status;
    const bool cancelling = status_changed && after.status == "cancelled";
    const bool time_or_size_changed = before.party_size != after.party_size ||
                                      before.start_at != after.start_at ||
                                      before.end_at != after.end_at;

    if (managed_changed || (state_changed && !(cancelling && after.state_text == "cancelled"))) {
        std::string changes;
        auto describe = [&](const char* column, const std::string& from, const std::string& to) {
            if (from != to) {
                changes += std::string(changes.empty() ? "" : ", ") + column + " from " + from +
                           " to " + to;
            }
        };
        describe("assignment_state", "'" + before.state_text + "'", "'" + after.state_text + "'");
        describe("assignment_version", std::to_string(before.version),
                 std::to_string(after.version));
        describe("attempts", std::to_string(before.attempts), std::to_string(after.attempts));
        describe("last_reason", before.last_reason_null ? "NULL" : "'" + before.last_reason + "'",
                 after.last_reason_null ? "NULL" : "'" + after.last_reason + "'");
        refuse("the assignment of " + booking + " is managed by assignment_v3",
               "The update changes " + changes + ".");
    }
    if (before.state == AssignmentState::Cancelled && (status_changed || time_or_size_changed)) {
        refuse(booking + " is cancelled", "Cancelled bookings cannot be changed or un-cancelled.",
               "Create a new booking instead.");
    }
    if (status_changed && !cancelling) {
        refuse("status of " + booking + " is managed by assignment_v3",
               "The update changes status from '" + before.status + "' to '" + after.status + "'.");
    }
    if (!cancelling && !time_or_size_changed) {
        return new_tuple;  // zone_preference, next_attempt_at, updated_at: nothing to do
    }

    const TransitionCause cause =
        cancelling ? TransitionCause::Cancellation : TransitionCause::Modification;
    const AssignmentState to = cancelling ? AssignmentState::Cancelled : AssignmentState::Created;
    if (!before.state || !transition_allowed(*before.state, to, cause)) {
        refuse("illegal assignment state transition for " + booking,
               "'" + before.state_text + "' cannot become '" + std::string(state_name(to)) + "'.");
    }
    const int version = before.version + 1;
    const Micros now = pg_call([] { return GetCurrentTransactionStartTimestamp(); });
    RowEdit edit;
    edit.set(c.assignment_state, text_datum(state_name(to)));
    edit.set(c.status, text_datum(status_for_state(to)));
    edit.set(c.assignment_version, Int32GetDatum(version));
    edit.set(c.last_reason, text_datum(cancelling ? reason::kCancelled : reason::kModified));
    edit.set(c.updated_at, TimestampTzGetDatum(now));
    if (!cancelling) {
        edit.set(c.attempts, Int32GetDatum(0));
        edit.set(c.next_attempt_at, TimestampTzGetDatum(now));
        edit.set(c.queued_at, TimestampTzGetDatum(now));
    }
    HeapTuple result = edit.apply(new_tuple, desc);
    queue_application_transition(ApplicationTransition{before.id, before.restaurant_id,
                                                       before.state_text, to, version, cause});
    return result;
}

Datum guard(FunctionCallInfo fcinfo) {
    TriggerData* trigger = row_trigger_data(fcinfo, "bookings_guard", TriggerTiming::Before);
    TupleDesc desc = trigger->tg_relation->rd_att;
    const BookingColumns columns(desc);
    if (TRIGGER_FIRED_BY_INSERT(trigger->tg_event)) {
        return PointerGetDatum(check_insert(trigger->tg_trigtuple, desc, columns));
    }
    if (TRIGGER_FIRED_BY_UPDATE(trigger->tg_event)) {
        return PointerGetDatum(
            check_update(trigger->tg_trigtuple, trigger->tg_newtuple, desc, columns));
    }
    return PointerGetDatum(trigger->tg_trigtuple);
}

}  // namespace

}  // namespace av3::pg

extern "C" {

PG_FUNCTION_INFO_V1(av3_bookings_guard);
PGDLLEXPORT Datum av3_bookings_guard(PG_FUNCTION_ARGS) {
    return av3::pg::cpp_entry([&] { return av3::pg::guard(fcinfo); });
}

PG_FUNCTION_INFO_V1(av3_bookings_wake_workers);
// AFTER INSERT OR UPDATE, FOR EACH STATEMENT: applies the transitions the guard decided for the
// statement's rows, and wakes a worker when the statement's transaction commits.
PGDLLEXPORT Datum av3_bookings_wake_workers(PG_FUNCTION_ARGS) {
    return av3::pg::cpp_entry([&] {
        av3::pg::SpiConnection spi;
        av3::pg::apply_application_transitions();
        spi.finish();
        // The extension's own writes do not need a wake-up: its workers are already awake.
        if (!av3::pg::current_internal_write()) {
            av3::pg::wake_workers_at_commit();
        }
        return PointerGetDatum(nullptr);
    });
}

// AFTER DELETE, FOR EACH STATEMENT, with the deleted rows as deleted_bookings: the tables of
// seated bookings were freed with them (ON DELETE CASCADE), so their restaurants' waiting
// retries become due.
PG_FUNCTION_INFO_V1(av3_bookings_deleted);
PGDLLEXPORT Datum av3_bookings_deleted(PG_FUNCTION_ARGS) {
    return av3::pg::cpp_entry([&] {
        av3::pg::SpiConnection spi;
        av3::pg::register_transition_tables(fcinfo);
        av3::pg::Rows rows = av3::pg::run_query(
            "SELECT DISTINCT restaurant_id FROM deleted_bookings WHERE assignment_state = "
            "'confirmed'");
        std::vector<av3::Uuid> restaurants;
        for (std::uint64_t i = 0; i < rows.size(); ++i) {
            restaurants.push_back(rows[i].uuid(1));
        }
        av3::pg::wake_retries_of(restaurants);
        spi.finish();
        av3::pg::wake_workers_at_commit();
        return PointerGetDatum(nullptr);
    });
}

PG_FUNCTION_INFO_V1(av3_inventory_changed);
PGDLLEXPORT Datum av3_inventory_changed(PG_FUNCTION_ARGS) {
    return av3::pg::cpp_entry([&] {
        av3::pg::inventory_changed_in_transaction();
        return PointerGetDatum(nullptr);
    });
}
}
