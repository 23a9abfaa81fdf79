// Inserts the assignment rows a batch decided (table_assignments), for the one writer of
// assignments (pg/booking_writes.hpp).
//
// Directly where it can (pg/direct_insert.hpp): the rows go in as COPY writes them, the
// exclusion constraint, primary key and checks enforced by the table's own indexes and executor
// routine, and the two foreign keys checked once for the batch instead of once per row by their
// triggers. The key to restaurant_tables by locking the batch's tables FOR KEY SHARE in one
// statement, which is what each row's trigger would do: until the transaction ends no one can
// delete such a table or change its key. The key to bookings by construction: every row's
// booking is one the caller has just updated in this (sub)transaction, a row that exists and that
// no one else can delete before it commits. Where either does not hold, or the table is not
// eligible (a DBA's trigger), the rows go through INSERT and its triggers, which raise the error
// a violation deserves.
#pragma once

#include "core/schedule.hpp"
#include "core/types.hpp"

#include <string_view>
#include <unordered_set>
#include <vector>

namespace av3::pg {

struct NewAssignment {
    Uuid booking_id;
    Uuid table_id;
    Uuid restaurant_id;
    Interval during;
    std::string_view pipeline;
    Micros created_at = 0;
};

// `updated_bookings`: the bookings the caller has updated in this (sub)transaction.
void insert_assignments(const std::vector<NewAssignment>& rows,
                        const std::unordered_set<Uuid, UuidHasher>& updated_bookings);

}  // namespace av3::pg
