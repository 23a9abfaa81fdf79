#include "pg/legacy_planner.hpp"

#include "pg/booking_writes.hpp"
#include "pg/settings.hpp"
#include "pg/settled_seatings.hpp"
#include "pg/shared_state.hpp"
#include "pg/spi.hpp"
#include "pg/transaction_hooks.hpp"

namespace av3::pg {

namespace {

constexpr int kExclusionViolation = ERRCODE_EXCLUSION_VIOLATION;

// The first table, by label, that fits the party and no unsettled seating holds, leaving out
// `$5`. "NOT a.settled" is the exclusion index's predicate: without it the planner cannot use
// that index and scans every seating ever made, per table. The settled seatings are looked
// for apart (free_table()).
Statement& first_free_table() {
    static Statement statement(
        "SELECT t.id FROM assignment_v3.restaurant_tables t "
        "WHERE t.restaurant_id = $1 AND t.active AND t.capacity >= $2 AND t.min_party <= $2 "
        "  AND t.id <> ALL ($5) "
        "  AND NOT EXISTS (SELECT 1 FROM assignment_v3.table_assignments a "
        "                  WHERE a.table_id = t.id AND NOT a.settled "
        "                    AND a.during && pg_catalog.tstzrange($3, $4)) "
        "ORDER BY t.label LIMIT 1",
        {UUIDOID, INT4OID, TIMESTAMPTZOID, TIMESTAMPTZOID, UUIDARRAYOID}, Planning::PlanEachTime);
    return statement;
}

// The first free table, settled seatings included: a booking that started before the settle
// horizon (a backlog, a short settle_after) may meet one, and the write would be refused on
// the same table at every attempt. A table a settled seating holds is left out and the next
// one looked at.
std::optional<Uuid> free_table(const ClaimedBooking& booking, const Interval& during) {
    std::vector<Uuid> held_by_settled;
    for (;;) {
        Rows free = first_free_table().run({{uuid_datum(booking.restaurant_id), false},
                                            {Int32GetDatum(booking.view.party_size), false},
                                            {TimestampTzGetDatum(during.lower), false},
                                            {TimestampTzGetDatum(during.upper), false},
                                            {uuid_array_datum(held_by_settled), false}});
        if (free.empty()) {
            return std::nullopt;
        }
        const Uuid table = free[0].uuid(1);
        if (!find_settled_seating(booking.restaurant_id, table, during)) {
            return table;
        }
        held_by_settled.push_back(table);
    }
}

// The legacy planner has no intermediate states: a write moves the booking at most once (the
// version with it) and counts one attempt.
void write_booking(const ClaimedBooking& booking, AssignmentState state,
                   std::optional<Micros> next_attempt_at, std::string_view reason,
                   std::vector<AssignmentRow> seats = {}) {
    BookingWrite write = transition_write(booking, state, reason);
    write.new_version = booking.view.version + (state != booking.view.state ? 1 : 0);
    write.attempts = booking.view.attempts + 1;
    write.next_attempt_at = next_attempt_at;
    write.pipeline = "legacy";
    write.assignments = std::move(seats);
    BookingWriter writer(TransitionCause::LegacyPlanner);
    writer.add(std::move(write));
    writer.flush_bulk();
}

}  // namespace

InvocationResult run_legacy_planner(const ClaimedBooking& booking, EventBuffer& events) {
    InvocationResult result;
    result.booking_id = booking.view.id;
    result.pipeline = "legacy";
    const Micros started_at = now_micros();
    set_current_booking(&booking.view.id);
    if (!is_runnable(booking.view.state)) {
        result.outcome = Outcome::Noop;
        result.reason = booking.view.state == AssignmentState::Confirmed ? reason::kAlreadyAssigned
                        : booking.view.state == AssignmentState::Cancelled
                            ? reason::kCancelled
                            : reason::kInManualReview;
        EventContext summary;
        summary.add("outcome", "noop")
            .add("reason", result.reason)
            .add("attempts", 0)
            .add("version", booking.view.version);
        events.add(source::kLegacy, "auto_assign.summary", Severity::Info, booking.view.id,
                   booking.restaurant_id, std::move(summary));
        return result;
    }
    const int max_attempts = settings::legacy_max_attempts;
    int attempts = 0;
    std::optional<Uuid> seated;
    bool no_table = false;
    EventBuffer own;  // kept only if the invocation commits

    std::optional<SubtransactionError> failure = in_subtransaction([&] {
        const Micros upper = booking.view.end_at +
                             RestaurantCache::instance().info(booking.restaurant_id).turn_buffer;
        if (is_in_the_past(booking.view, started_at)) {
            // The same rule as V3's (core/invocation.hpp): nothing to seat in the past.
            write_booking(booking, AssignmentState::ManualReview, std::nullopt, reason::kInThePast);
            result.outcome = Outcome::ManualReview;
            result.reason = std::string(reason::kInThePast);
            return;
        }
        while (attempts < max_attempts && !seated && !no_table) {
            ++attempts;
            EventContext attempt;
            attempt.add("attempt", attempts)
                .add("max_attempts", max_attempts)
                .add("party_size", booking.view.party_size);
            own.add(source::kLegacy, "auto_assign.attempt.start", Severity::Info, booking.view.id,
                    booking.restaurant_id, std::move(attempt));
            const std::optional<Uuid> free =
                free_table(booking, Interval{booking.view.start_at, upper});
            if (!free) {
                no_table = true;
                break;
            }
            const Uuid table = *free;
            // Seated, or another writer took the table first (the exclusion constraint says
            // so): the next attempt looks again.
            std::optional<SubtransactionError> lost = in_subtransaction([&] {
                write_booking(booking, AssignmentState::Confirmed, std::nullopt, {},
                              {AssignmentRow{table, Interval{booking.view.start_at, upper}}});
            });
            if (!lost) {
                seated = table;
            } else if (lost->version_conflict) {
                throw VersionConflict();
            } else if (lost->sqlstate != kExclusionViolation) {
                throw UserError(lost->sqlstate, lost->message);
            }
        }
        if (seated) {
            result.outcome = Outcome::Confirmed;
            result.tables.push_back(*seated);
        } else if (no_table) {
            write_booking(booking, AssignmentState::ManualReview, std::nullopt,
                          "no_table_available");
            result.outcome = Outcome::ManualReview;
            result.reason = "no_table_available";
        } else {
            // Every attempt lost its race: try again later, as the old loop's caller did.
            const Micros delay =
                static_cast<Micros>(settings::retry_backoff_base_ms) * kMicrosPerMilli;
            write_booking(booking, booking.view.state, now_micros() + delay, "attempts_exhausted");
            result.outcome = Outcome::Retry;
            result.reason = "attempts_exhausted";
        }
    });

    EventContext summary;
    if (failure && failure->version_conflict) {
        // Another writer changed the booking meanwhile: this invocation does nothing.
        result.outcome = Outcome::Noop;
        result.reason = std::string(reason::kVersionConflict);
        result.tables.clear();
        summary.add("outcome", "noop").add("reason", result.reason);
    } else if (failure) {
        result.outcome = Outcome::Error;
        result.reason = std::string(reason::kUnexpectedError);
        result.tables.clear();
        char sqlstate[6];
        memcpy(sqlstate, unpack_sql_state(failure->sqlstate), sizeof sqlstate);
        summary.add("outcome", "error")
            .add("reason", reason::kUnexpectedError)
            .add("sqlstate", std::string_view(sqlstate, 5))
            .add("message", failure->message);
        // Leave the booking runnable, due again after the base delay (best effort).
        const Micros delay = static_cast<Micros>(settings::retry_backoff_base_ms) * kMicrosPerMilli;
        in_subtransaction([&] {
            write_booking(booking, booking.view.state, now_micros() + delay,
                          reason::kUnexpectedError);
        });
    } else {
        summary.add("outcome", outcome_name(result.outcome));
        if (!result.reason.empty()) {
            summary.add("reason", result.reason);
        }
        if (seated) {
            summary.add("table_id", seated->to_string())
                .add("latency_ms",
                     static_cast<double>(now_micros() - booking.view.queued_at) / kMicrosPerMilli);
        }
    }
    summary.add("attempts", attempts)
        .add("duration_ms", static_cast<double>(now_micros() - started_at) / kMicrosPerMilli)
        .add("version", booking.view.version);
    const bool error = failure && !failure->version_conflict;
    own.add(source::kLegacy, "auto_assign.summary", error ? Severity::Error : Severity::Info,
            booking.view.id, booking.restaurant_id, std::move(summary));
    events.append(std::move(own));
    return result;
}

}  // namespace av3::pg
