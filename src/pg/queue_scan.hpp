// The claim's two reads of the queue (pg/claim.hpp), made without statements: the window of
// oldest due bookings, read through bookings_due_idx, and the chosen bookings, found by primary
// key and locked FOR UPDATE SKIP LOCKED (docs/architecture.md, "Plans"). Each reads the rows its
// statement in claim.cpp would: the same index order (the statement may read the other runnable
// index, bookings_runnable_idx, which orders ties at the limit otherwise), a new snapshot as
// each statement takes in READ COMMITTED, the same lock and the same recheck of a row another
// transaction updated meanwhile. What it saves is the statements' planning (at each batch:
// their best plans depend on the queue's size) and executor set-up: the two statements were
// 8.4 % of a worker's time, the direct reads 6.8 % (docs/BENCHMARKS.md, "The fifth day").
//
// Only where that read is the statement's: READ COMMITTED (and, to lock, not read-only), the
// extension's own bookings_due_idx (its definition as installed, valid and ready), no row
// security on bookings and no inheritance children, and the rights to read and lock its rows
// table-wide. Otherwise nothing is read and the caller runs the statement.
#pragma once

#include "core/types.hpp"
#include "pg/postgres.hpp"

namespace av3::pg {

struct DueBooking {
    Uuid id;
    Uuid restaurant_id;
};

// Up to `window` runnable bookings due by `now` (next_attempt_at <= now), oldest first, into
// `due`: what select_due() in claim.cpp returns. False (nothing read) when not eligible.
bool read_due_window(Micros now, int window, std::vector<DueBooking>* due);

// The columns the claim reads of each booking, in the claim statement's order (claim.cpp,
// BOOKING_COLUMNS and status), for read_booking().
inline constexpr int kClaimColumns = 12;

// Locks the bookings of `ids` that are still due by `now`, skipping those another transaction
// has locked: what claim_bookings_statement() in claim.cpp does. Each locked row's columns go
// into a tuple of `*desc` (the claim statement's columns) in `rows`, allocated in the current
// memory context. False (nothing locked) when not eligible.
bool lock_due_bookings(const std::vector<Uuid>& ids, Micros now, std::vector<HeapTuple>* rows,
                       TupleDesc* desc);

}  // namespace av3::pg
