// Persists what the extension decided about bookings: their state, the tables they are seated
// at, and the events. The one writer of the extension's booking changes and assignments: the
// coordinator, the legacy planner, the operator functions and the re-seating after an
// inventory change all write through it (docs/architecture.md, "The write path").
//
// In bulk, the writes go out as one DELETE of released tables, then the bookings
// (pg/booking_update.hpp), the assignments (pg/assignment_insert.hpp) and the events
// (pg/event_log.hpp), in the caller's (sub)transaction: an error propagates and the caller redoes
// the batch booking by booking (see batch.cpp). Booking by booking, each write has its own
// subtransaction, so one bad booking cannot take the others down.
#pragma once

#include "core/schedule.hpp"
#include "core/state_machine.hpp"
#include "pg/booking_update.hpp"
#include "pg/claim.hpp"
#include "pg/event_log.hpp"
#include "pg/subtransaction.hpp"

namespace av3::pg {

struct AssignmentRow {
    Uuid table_id;
    Interval during;
};

// Everything one invocation writes for one booking.
// The booking row's change (the base) is written when `updates_booking`.
struct BookingWrite : BookingRowChange {
    Uuid booking_id;
    Uuid restaurant_id;
    bool updates_booking = false;

    bool release_tables = false;       // delete the booking's assignments first
    std::string_view pipeline = "v3";  // of the assignment rows: v3, legacy or manual
    std::vector<AssignmentRow> assignments;
    EventBuffer events;
};

// A write that moves a claimed booking to `to`: checked against the version it was read at,
// one version later, attempts kept, `reason` its last reason. Callers add the rest (tables,
// due time, events).
BookingWrite transition_write(const ClaimedBooking& booking, AssignmentState to,
                              std::string_view reason);

enum class WriteMode {
    Bulk,         // one write of each kind for the whole batch; an error propagates
    EachBooking,  // a subtransaction per booking; an error becomes that booking's outcome
};

class BookingWriter {
public:
    explicit BookingWriter(TransitionCause cause) : cause_(cause) {}

    void add(BookingWrite write) { writes_.push_back(std::move(write)); }
    bool empty() const { return writes_.empty(); }

    // Writes everything at once (one write of each kind) and clears the queue; errors propagate (a
    // booking whose version moved: VersionConflict).
    void flush_bulk();
    // Writes each booking in its own subtransaction and clears the queue. Returns, per queued
    // write in order, the error that kept it from landing (none: landed).
    std::vector<std::optional<SubtransactionError>> flush_each();

private:
    void write_all(const std::vector<BookingWrite*>& writes);

    TransitionCause cause_;
    std::vector<BookingWrite> writes_;
};

// Deletes the table assignments of bookings (a modification, a cancellation, a manual
// re-seating, an inventory change): the one statement that frees tables.
void release_booking_tables(const std::vector<Uuid>& booking_ids);

}  // namespace av3::pg
