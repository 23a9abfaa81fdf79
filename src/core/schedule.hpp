// What is already booked: per table of an inventory, the half-open intervals
// [start_at, end_at + turn_buffer) of its assignments. Loaded per batch, then extended as
// the batch seats parties, so later bookings of the same batch see earlier decisions.
#pragma once

#include <vector>

#include "core/inventory.hpp"
#include "core/types.hpp"

namespace av3 {

struct Interval {
    Micros lower = 0;  // inclusive
    Micros upper = 0;  // exclusive

    bool overlaps(const Interval& other) const {
        return lower < other.upper && other.lower < upper;
    }
};

class Schedule {
public:
    explicit Schedule(const Inventory& inventory) : busy_(inventory.tables().size()) {}

    // Records an interval on a table (by inventory index); unknown indexes are ignored.
    void reserve(int table_index, const Interval& during);
    void reserve(const SeatingOption& option, const Interval& during);

    bool is_free(int table_index, const Interval& during) const;
    bool is_free(const SeatingOption& option, const Interval& during) const;

private:
    std::vector<std::vector<Interval>> busy_;
};

}  // namespace av3
