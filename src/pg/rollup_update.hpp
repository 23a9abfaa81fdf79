// Adds a batch's counts to the event rollup rows that already exist, without a statement: what
// the rollups' upsert (`INSERT ... ON CONFLICT ... DO UPDATE`, src/pg/event_rollups.cpp) does
// for a key it finds, done directly as the bookings' update is (pg/booking_update.hpp): each
// row found through the rollup key under a fresh snapshot, its new version made from the
// current one, checked by the table's constraints, written by the table access method's update
// (which waits for a concurrent writer, as the upsert would) and its index entries inserted
// where the update is not HOT. A key without a row, or whose row a concurrent transaction
// changed or deleted (a recount, retention), is left to the upsert, which handles every case
// as SQL does. Only in READ COMMITTED, for the table as the extension made it (its columns, no
// trigger, rule or row security) and a role that may read and update it; otherwise nothing is
// written here.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/types.hpp"

namespace av3::pg {

// One rollup row's key and the counts to add to it; the pointers are NULL for a NULL column.
struct RollupAddition {
    int width = 1;
    Micros bucket = 0;
    std::string_view source;
    std::string_view event_type;
    const std::string* reason = nullptr;
    const std::string* detail = nullptr;
    const Uuid* restaurant_id = nullptr;
    int writer = 0;
    std::int64_t events = 0;
    double delay_ms_sum = 0;
    std::optional<double> delay_ms_max;
    std::optional<double> latency_ms_max;
};

// Adds what it can; written[i] (sized to rows) says whether rows[i] was added here.
void add_to_existing_rollups(const std::vector<RollupAddition>& rows, std::vector<char>& written);

}  // namespace av3::pg
