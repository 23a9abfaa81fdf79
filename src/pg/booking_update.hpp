// Updates the bookings a batch decided, for the one writer of booking changes
// (pg/booking_writes.hpp): each row found by its id, written only if its version is still the
// one the decision was made at (else VersionConflict, and nothing of the batch stands).
//
// Directly where it can: each row looked up by the primary key, the new version made from the
// old one with the decided columns replaced, checked by the table's CHECK and NOT NULL
// constraints with the executor's own routine, written by the table access method's update
// (which waits for a concurrent writer as UPDATE does, and follows its new version as UPDATE's
// recheck would: the version decides) and its index entries inserted. No statement is parsed,
// planned or started. The triggers an UPDATE would fire are the extension's own and do nothing
// for its own writes but check them: the guard's check (write_allowed(), the restaurant
// unchanged) is made here; the foreign keys' triggers fire only when a key changes, and no
// decided column is in a key (a row this transaction made goes through UPDATE: a key's check
// fires for it whatever changed). Only in READ COMMITTED, where an UPDATE's own rules are these,
// and where the table has no trigger, rule or key beyond those, no row security, no stored
// generated column, and the role may read and update the table (otherwise UPDATE runs and raises
// what it raises).
#pragma once

#include "core/state_machine.hpp"
#include "core/types.hpp"

#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

namespace av3::pg {

// What a write changes in one booking's row, checked against expected_version. The coordinator
// fills it in a BookingWrite (booking_writes.hpp); the update takes it as it is.
struct BookingRowChange {
    int expected_version = 0;
    AssignmentState state = AssignmentState::Created;
    int new_version = 0;
    int attempts = 0;
    std::optional<Micros> next_attempt_at;  // unchanged when empty
    std::optional<Micros> queued_at;        // unchanged when empty
    std::string last_reason;                // NULL when empty
};

struct BookingUpdate : BookingRowChange {
    Uuid id;
    Micros updated_at = 0;
};

// Throws VersionConflict when a booking is gone or its version moved. Returns the ids of the
// rows written, which stand (locked by this write) until the transaction ends.
std::unordered_set<Uuid, UuidHasher> update_bookings(const std::vector<BookingUpdate>& rows,
                                                     TransitionCause cause);

}  // namespace av3::pg
