#include "core/optimal_fit.hpp"

#include <algorithm>

namespace av3 {

namespace {

// Scans options (sorted by capacity, table count, ids) from the first that is large enough.
// The first free admitting option is the best; the rest of its (capacity, table count) group
// is then searched for an equally good one in the preferred zone.
const SeatingOption* best_free(const std::vector<SeatingOption>& options, const Schedule& schedule,
                               const FitRequest& request, int preferred_zone) {
    auto it = std::lower_bound(
        options.begin(), options.end(), request.party_size,
        [](const SeatingOption& option, int party) { return option.capacity < party; });
    for (; it != options.end(); ++it) {
        if (!it->admits(request.party_size) || !schedule.is_free(*it, request.during)) {
            continue;
        }
        if (preferred_zone < 0 || it->zone == preferred_zone) {
            return &*it;
        }
        for (auto same = it + 1; same != options.end() && same->capacity == it->capacity &&
                                 same->table_count == it->table_count;
             ++same) {
            if (same->zone == preferred_zone && same->admits(request.party_size) &&
                schedule.is_free(*same, request.during)) {
                return &*same;
            }
        }
        return &*it;
    }
    return nullptr;
}

}  // namespace

FitResult optimal_fit(const Inventory& inventory, const Schedule& schedule,
                      const FitRequest& request) {
    FitResult result;
    if (request.party_size <= 0 || request.during.upper <= request.during.lower) {
        return result;
    }
    int preferred_zone =
        request.zone_preference.empty() ? -1 : inventory.zone_index(request.zone_preference);
    result.option = best_free(inventory.singles(), schedule, request, preferred_zone);
    if (result.option == nullptr) {
        result.option = best_free(inventory.combinations(), schedule, request, preferred_zone);
    }
    return result;
}

}  // namespace av3
