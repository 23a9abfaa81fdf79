// Strategy `optimal_fit` (docs/architecture.md §5): the smallest free single table that seats the
// party; otherwise the adjacent combination in one zone with the fewest wasted seats, then the
// fewest tables, then the stable (table id) order. A zone preference is honoured only when it
// costs nothing: among equally good options, one in the preferred zone wins.
#pragma once

#include <string_view>

#include "core/inventory.hpp"
#include "core/schedule.hpp"

namespace av3 {

struct FitRequest {
    int party_size = 0;
    Interval during;                   // [start_at, end_at + turn_buffer)
    std::string_view zone_preference;  // empty: no preference
};

struct FitResult {
    const SeatingOption* option = nullptr;  // points into the inventory; null when nothing fits

    bool found() const { return option != nullptr; }
    bool is_combination() const { return option != nullptr && option->table_count > 1; }
};

FitResult optimal_fit(const Inventory& inventory, const Schedule& schedule,
                      const FitRequest& request);

}  // namespace av3
