#include "pg/booking_writes.hpp"

#include "pg/assignment_insert.hpp"
#include "pg/booking_update.hpp"
#include "pg/decision_notices.hpp"
#include "pg/schedule_cache.hpp"
#include "pg/spi.hpp"
#include "pg/transaction_hooks.hpp"

namespace av3::pg {

namespace {

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
    std::vector<BookingUpdate> updates;
    std::vector<Uuid> released;
    std::vector<NewAssignment> assignments;

    for (BookingWrite* w : writes) {
        if (w->release_tables) {
            released.push_back(w->booking_id);
        }
        if (w->updates_booking) {
            updates.push_back(BookingUpdate{*w, w->booking_id, now});
        }
        for (const AssignmentRow& a : w->assignments) {
            assignments.push_back(NewAssignment{w->booking_id, a.table_id, w->restaurant_id,
                                                a.during, w->pipeline, now});
        }
    }

    InternalWriteScope scope(cause_);
    release_booking_tables(released);
    // The bookings just updated are this (sub)transaction's: they stand until it commits.
    const std::unordered_set<Uuid, UuidHasher> updated = update_bookings(updates, cause_);
    insert_assignments(assignments, updated);
    // Written from the writes' own buffers, which stay: if this (sub)transaction rolls back,
    // the writes are tried again.
    std::vector<const PendingEvent*> events;
    for (BookingWrite* w : writes) {
        for (const PendingEvent& e : w->events.events()) {
            events.push_back(&e);
        }
    }
    write_events(events);
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
