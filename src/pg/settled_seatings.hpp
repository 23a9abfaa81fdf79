// Settled seatings (docs/architecture.md, "Settled seatings"): the double-booking index holds
// only seatings still to come.
//
// The exclusion constraint covers the seatings not yet settled. Worker 0 settles the seatings
// that ended more than assignment_v3.settle_after ago, and with them raises the settle horizon,
// a bound that every settled seating ends by (assignment_v3_internal.settled_horizon). Each pass
// raises the horizon and settles in the same transaction. A settled seating leaves the GiST
// index (its flag is in the constraint's predicate), so the cost of each new seating's conflict
// search no longer grows with the restaurant's past.
//
// What keeps double booking impossible with settled seatings out of the index:
//   - a new or moved seating that starts before the horizon is checked against the settled
//     seatings of its table, after its own index entry is in (the AFTER trigger, or the
//     writer's direct path). The horizon and the settled rows are read as last committed (not
//     in the transaction's snapshot). A settle that commits while the new seating waits in
//     the exclusion check on the row being settled is then seen by this check. A settle that
//     starts after the new seating's index entry is in finds the new seating in the index.
//   - a settled seating keeps its table and time, and only the settle pass settles (the BEFORE
//     trigger). Every row comes in unsettled: a restore's rows settle again on the next passes.
//   - the settle pass only settles seatings of at most kLongestSettledSeating, so the check's
//     search of a table's settled seatings is a short range of (restaurant_id, lower(during)).
#pragma once

#include "core/schedule.hpp"
#include "core/types.hpp"

#include <optional>
#include <vector>

namespace av3::pg {

struct SeatingSpan {
    Uuid booking_id;
    Uuid table_id;
    Uuid restaurant_id;
    Interval during;
};

constexpr Micros kLongestSettledSeating = 28 * 60 * kMicrosPerMinute;
constexpr int kSettleBatch = 10000;

struct SettledSeating {
    Uuid booking_id;
    Interval during;
};

// The settled seating of `table_id` that overlaps `during`, read as last committed; none when
// `during` starts at or after the settle horizon (every settled seating ends by it). For
// writers that look for a free table among the unsettled seatings (the GiST index) and must
// not be refused by the check below again and again. With SPI connected.
std::optional<SettledSeating> find_settled_seating(const Uuid& restaurant_id, const Uuid& table_id,
                                                   const Interval& during);

// Raises exclusion_violation when one of `rows`, already in table_assignments and unsettled,
// overlaps a settled seating of its table. One read of the horizon; a search per row only for
// rows that start before it. Inside a transaction, with SPI connected.
void check_against_settled(const std::vector<SeatingSpan>& rows);

struct SettleResult {
    std::int64_t seatings = 0;  // seatings settled
    bool more = false;          // a full batch: there may be more to settle
};

// Settles up to `batch` seatings that ended more than assignment_v3.settle_after ago (nothing
// when it is 0), in the caller's transaction, with SPI connected.
SettleResult settle_ended_seatings(int batch);

}  // namespace av3::pg
