#include "pg/legacy_planner.hpp"

#include "pg/settings.hpp"
#include "pg/shared_state.hpp"
#include "pg/spi.hpp"
#include "pg/transaction_hooks.hpp"

namespace av3::pg {

namespace {

constexpr int kExclusionViolation = ERRCODE_EXCLUSION_VIOLATION;

Statement& first_free_table() {
    static Statement statement(
        "SELECT t.id FROM assignment_v3.restaurant_tables t "
        "WHERE t.restaurant_id = $1 AND t.active AND t.capacity >= $2 AND t.min_party <= $2 "
        "  AND NOT EXISTS (SELECT 1 FROM assignment_v3.table_assignments a "
        "                  WHERE a.table_id = t.id AND a.during && tstzrange($3, $4)) "
        "ORDER BY t.label LIMIT 1",
        {UUIDOID, INT4OID, TIMESTAMPTZOID, TIMESTAMPTZOID});
    return statement;
}

Statement& insert_assignment() {
    static Statement statement(
        "INSERT INTO assignment_v3.table_assignments (booking_id, table_id, restaurant_id, during, "
        "pipeline) "
        "VALUES ($1, $2, $3, tstzrange($4, $5), 'legacy')",
        {UUIDOID, UUIDOID, UUIDOID, TIMESTAMPTZOID, TIMESTAMPTZOID});
    return statement;
}

Statement& update_booking() {
    static Statement statement(
        "UPDATE assignment_v3.bookings SET assignment_state = $2, status = $3, "
        "  assignment_version = assignment_version + $4, attempts = attempts + 1, "
        "  next_attempt_at = coalesce($5, next_attempt_at), last_reason = $6, updated_at = "
        "clock_timestamp() "
        "WHERE id = $1 AND assignment_version = $7",
        {UUIDOID, TEXTOID, TEXTOID, INT4OID, TIMESTAMPTZOID, TEXTOID, INT4OID});
    return statement;
}

Param text_param(std::string_view text) {
    return text.empty() ? Param{} : Param{text_datum(text), false};
}

void write_booking(const ClaimedBooking& booking, AssignmentState state,
                   std::optional<Micros> next_attempt_at, std::string_view reason) {
    InternalWriteScope scope(TransitionCause::LegacyPlanner);
    const bool moves = state != booking.view.state;
    Rows rows = update_booking().run({
        {uuid_datum(booking.view.id), false},
        {text_datum(state_name(state)), false},
        {text_datum(state == AssignmentState::Confirmed ? "confirmed" : "pending"), false},
        {Int32GetDatum(moves ? 1 : 0), false},
        next_attempt_at ? Param{TimestampTzGetDatum(*next_attempt_at), false} : Param{},
        text_param(reason),
        {Int32GetDatum(booking.view.version), false},
    });
    if (rows.size() != 1) {
        throw UserError(ERRCODE_T_R_SERIALIZATION_FAILURE,
                        "booking version changed while the legacy planner ran");
    }
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
                   booking.restaurant_id, summary);
        return result;
    }
    const int max_attempts = settings::legacy_max_attempts;
    int attempts = 0;
    std::optional<Uuid> seated;
    bool no_table = false;
    EventBuffer own;  // kept only if the invocation commits

    std::optional<SubtransactionError> failure = in_subtransaction([&] {
        const Datum booking_id = uuid_datum(booking.view.id);
        const Datum restaurant_id = uuid_datum(booking.restaurant_id);
        const Micros upper = booking.view.end_at +
                             RestaurantCache::instance().info(booking.restaurant_id).turn_buffer;
        while (attempts < max_attempts && !seated && !no_table) {
            ++attempts;
            EventContext attempt;
            attempt.add("attempt", attempts)
                .add("max_attempts", max_attempts)
                .add("party_size", booking.view.party_size);
            own.add(source::kLegacy, "auto_assign.attempt.start", Severity::Info, booking.view.id,
                    booking.restaurant_id, attempt);
            Rows free = first_free_table().run({{restaurant_id, false},
                                                {Int32GetDatum(booking.view.party_size), false},
                                                {TimestampTzGetDatum(booking.view.start_at), false},
                                                {TimestampTzGetDatum(upper), false}});
            if (free.empty()) {
                no_table = true;
                break;
            }
            const Uuid table = free[0].uuid(1);
            std::optional<SubtransactionError> lost = in_subtransaction([&] {
                insert_assignment().run({{booking_id, false},
                                         {uuid_datum(table), false},
                                         {restaurant_id, false},
                                         {TimestampTzGetDatum(booking.view.start_at), false},
                                         {TimestampTzGetDatum(upper), false}});
            });
            if (!lost) {
                seated = table;
            } else if (lost->sqlstate != kExclusionViolation) {
                throw UserError(lost->sqlstate, lost->message);
            }
        }
        if (seated) {
            write_booking(booking, AssignmentState::Confirmed, std::nullopt, {});
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
    if (failure) {
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
                     static_cast<double>(now_micros() - booking.queued_at) / kMicrosPerMilli);
        }
    }
    summary.add("attempts", attempts)
        .add("duration_ms", static_cast<double>(now_micros() - started_at) / kMicrosPerMilli)
        .add("version", booking.view.version);
    own.add(source::kLegacy, "auto_assign.summary", failure ? Severity::Error : Severity::Info,
            booking.view.id, booking.restaurant_id, summary);
    events.append(std::move(own));
    return result;
}

}  // namespace av3::pg
