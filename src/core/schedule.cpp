#include "core/schedule.hpp"

#include <algorithm>

namespace av3 {

void Schedule::reserve(int table_index, const Interval& during) {
    if (table_index < 0 || static_cast<std::size_t>(table_index) >= busy_.size()) {
        return;
    }
    busy_[table_index].push_back(during);
}

void Schedule::reserve(const SeatingOption& option, const Interval& during) {
    for (int i = 0; i < option.table_count; ++i) {
        reserve(option.tables[i], during);
    }
}

bool Schedule::is_free(int table_index, const Interval& during) const {
    const auto& intervals = busy_[table_index];
    return std::none_of(intervals.begin(), intervals.end(),
                        [&](const Interval& taken) { return taken.overlaps(during); });
}

bool Schedule::is_free(const SeatingOption& option, const Interval& during) const {
    for (int i = 0; i < option.table_count; ++i) {
        if (!is_free(option.tables[i], during)) {
            return false;
        }
    }
    return true;
}

}  // namespace av3
