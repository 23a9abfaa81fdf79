#include "pg/booking_writes.hpp"

#include "pg/assignment_insert.hpp"
#include "pg/decision_notices.hpp"
#include "pg/schedule_cache.hpp"
#include "pg/spi.hpp"
#include "pg/transaction_hooks.hpp"

namespace av3::pg {

namespace {

// (A multi-argument unnest() in FROM is syntax, ROWS FROM (unnest(a), unnest(b), ...), that
// only the unqualified name gets; the workers' empty search_path resolves it in pg_catalog.)
Statement& update_bookings() {
    static Statement statement(
        "UPDATE assignment_v3.bookings b SET "
        "  assignment_state = u.state, status = u.status, assignment_version = u.new_version, "
        "  attempts = u.attempts, next_attempt_at = coalesce(u.next_attempt_at, "
        "b.next_attempt_at), queued_at = coalesce(u.queued_at, b.queued_at), "
        "  last_reason = u.last_reason, updated_at = u.updated_at "
        "FROM unnest($1::uuid[], $2::int[], $3::text[], $4::text[], $5::int[], "
        "                       $6::int[], $7::timestamptz[], $8::text[], $9::timestamptz[], "
        "                       $10::timestamptz[]) "
        "  AS u(id, expected_version, state, status, new_version, attempts, next_attempt_at, "
        "last_reason, updated_at, queued_at) "
        "WHERE b.id = u.id AND b.assignment_version = u.expected_version",
        {UUIDARRAYOID, INT4ARRAYOID, TEXTARRAYOID, TEXTARRAYOID, INT4ARRAYOID, INT4ARRAYOID,
         TIMESTAMPTZARRAYOID, TEXTARRAYOID, TIMESTAMPTZARRAYOID, TIMESTAMPTZARRAYOID},
        // A join with the queue: by its primary key, whatever size it had at the first batch.
        Planning::PlanEachTime);
    return statement;
}

Statement& delete_assignments() {
    static Statement statement(
        "DELETE FROM assignment_v3.table_assignments WHERE booking_id = ANY ($1)", {UUIDARRAYOID},
        Planning::PlanEachTime);
    return statement;
}

}  // namespace

BookingWrite transition_write(const ClaimedBooking& booking, AssignmentState to,
                              std::string_view reason) {
    BookingWrite write;
    write.booking_id = booking.view.id;
    write.restaurant_id = booking.restaurant_id;
    write.updates_booking = true;
    write.expected_version = booking.view.version;
    write.state = to;
    write.new_version = booking.view.version + 1;
    write.attempts = booking.view.attempts;
    write.last_reason = std::string(reason);
    return write;
}

void release_booking_tables(const std::vector<Uuid>& booking_ids) {
    if (!booking_ids.empty()) {
        delete_assignments().run({{uuid_array_datum(booking_ids), false}});
    }
}

void BookingWriter::write_all(const std::vector<BookingWrite*>& writes) {
    const Micros now = now_micros();
    // Booking rows.
    std::vector<Uuid> ids;
    std::vector<int> expected, new_versions, attempts;
    std::vector<std::string> states, statuses, reasons;
    std::vector<bool> reason_nulls, next_nulls, queued_nulls;
    std::vector<Micros> next_attempts, updated, queued;
    std::vector<Uuid> released;
    std::vector<NewAssignment> assignments;
    EventBuffer events;

    for (BookingWrite* w : writes) {
        if (w->release_tables) {
            released.push_back(w->booking_id);
        }
        if (w->updates_booking) {
            ids.push_back(w->booking_id);
            expected.push_back(w->expected_version);
            states.emplace_back(state_name(w->state));
            statuses.emplace_back(status_for_state(w->state));
            new_versions.push_back(w->new_version);
            attempts.push_back(w->attempts);
            next_attempts.push_back(w->next_attempt_at.value_or(0));
            next_nulls.push_back(!w->next_attempt_at.has_value());
            reasons.push_back(w->last_reason);
            reason_nulls.push_back(w->last_reason.empty());
            updated.push_back(now);
            queued.push_back(w->queued_at.value_or(0));
            queued_nulls.push_back(!w->queued_at.has_value());
        }
        for (const AssignmentRow& a : w->assignments) {
            assignments.push_back(NewAssignment{w->booking_id, a.table_id, w->restaurant_id,
                                                a.during, w->pipeline, now});
        }
    }

    InternalWriteScope scope(cause_);
    release_booking_tables(released);
    if (!ids.empty()) {
        Rows updated_rows = update_bookings().run({
            {uuid_array_datum(ids), false},
            {int4_array_datum(expected), false},
            {text_array_datum(states), false},
            {text_array_datum(statuses), false},
            {int4_array_datum(new_versions), false},
            {int4_array_datum(attempts), false},
            {timestamptz_array_datum(next_attempts, &next_nulls), false},
            {text_array_datum(reasons, &reason_nulls), false},
            {timestamptz_array_datum(updated), false},
            {timestamptz_array_datum(queued, &queued_nulls), false},
        });
        if (updated_rows.size() != ids.size()) {
            throw VersionConflict();
        }
    }
    // The bookings just updated are this (sub)transaction's: they stand until it commits.
    insert_assignments(assignments, std::unordered_set<Uuid, UuidHasher>(ids.begin(), ids.end()));
    // Events are copied, not moved: if this (sub)transaction rolls back, the writes are retried.
    for (BookingWrite* w : writes) {
        EventBuffer copy = w->events;
        events.append(std::move(copy));
    }
    events.flush();
    announce_decisions(writes, cause_);
    for (BookingWrite* w : writes) {
        if (w->release_tables) {
            ScheduleCache::released_in_transaction(w->restaurant_id, w->booking_id);
        }
        if (!w->assignments.empty()) {
            std::vector<BusySeat> seats;
            for (const AssignmentRow& a : w->assignments) {
                seats.push_back(BusySeat{a.table_id, a.during});
            }
            ScheduleCache::seated_in_transaction(w->restaurant_id, w->booking_id, seats);
        }
    }
}

void BookingWriter::flush_bulk() {
    std::vector<BookingWrite*> all;
    all.reserve(writes_.size());
    for (BookingWrite& w : writes_) {
        all.push_back(&w);
    }
    if (!all.empty()) {
        write_all(all);
    }
    writes_.clear();
}

std::vector<std::optional<SubtransactionError>> BookingWriter::flush_each() {
    std::vector<std::optional<SubtransactionError>> outcome(writes_.size());
    for (std::size_t i = 0; i < writes_.size(); ++i) {
        outcome[i] = in_subtransaction([&] { write_all({&writes_[i]}); });
    }
    writes_.clear();
    return outcome;
}

}  // namespace av3::pg
