#include "core/inventory.hpp"

#include <algorithm>
#include <tuple>

namespace av3 {

namespace {

// Keeps a pathological adjacency graph (say, a hall where every table touches every other)
// from exhausting memory; ordinary floor plans produce a few thousand options.
constexpr std::size_t kMaxCombinations = 250000;

bool option_less(const SeatingOption& a, const SeatingOption& b) {
    return std::tie(a.capacity, a.table_count, a.tables) <
           std::tie(b.capacity, b.table_count, b.tables);
}

}  // namespace

Inventory Inventory::build(std::vector<TableInfo> tables,
                           const std::vector<std::pair<Uuid, Uuid>>& adjacency,
                           int max_combo_tables) {
    Inventory inv;
    inv.max_combo_tables_ = std::clamp(max_combo_tables, 1, kMaxComboTables);

    tables.erase(std::remove_if(tables.begin(), tables.end(),
                                [](const TableInfo& t) { return !t.active || t.capacity <= 0; }),
                 tables.end());
    std::sort(tables.begin(), tables.end(),
              [](const TableInfo& a, const TableInfo& b) { return a.id < b.id; });
    inv.tables_ = std::move(tables);

    for (std::size_t i = 0; i < inv.tables_.size(); ++i) {
        const TableInfo& table = inv.tables_[i];
        inv.index_by_id_.emplace(table.id, static_cast<int>(i));
        int zone = inv.zone_index(table.zone);
        if (zone < 0) {
            zone = static_cast<int>(inv.zones_.size());
            inv.zones_.push_back(table.zone);
        }
        SeatingOption single;
        single.capacity = table.capacity;
        single.min_party = std::max(1, table.min_party);
        single.table_count = 1;
        single.zone = static_cast<std::uint16_t>(zone);
        single.tables[0] = static_cast<std::uint16_t>(i);
        inv.singles_.push_back(single);
        inv.max_capacity_ = std::max(inv.max_capacity_, table.capacity);
    }
    std::sort(inv.singles_.begin(), inv.singles_.end(), option_less);

    if (inv.max_combo_tables_ > 1) {
        std::vector<std::vector<std::uint16_t>> neighbours(inv.tables_.size());
        for (const auto& [a, b] : adjacency) {
            int ia = inv.index_of(a);
            int ib = inv.index_of(b);
            if (ia < 0 || ib < 0 || ia == ib || inv.tables_[ia].zone != inv.tables_[ib].zone) {
                continue;
            }
            neighbours[ia].push_back(static_cast<std::uint16_t>(ib));
            neighbours[ib].push_back(static_cast<std::uint16_t>(ia));
        }
        for (auto& list : neighbours) {
            std::sort(list.begin(), list.end());
            list.erase(std::unique(list.begin(), list.end()), list.end());
        }
        inv.enumerate_combinations(neighbours);
    }
    return inv;
}

// Grows every connected set of 2..max_combo_tables tables from its smallest member, so each
// set is produced from one seed only; duplicates reached by different growth orders are
// removed after sorting.
void Inventory::enumerate_combinations(const std::vector<std::vector<std::uint16_t>>& neighbours) {
    struct Partial {
        std::array<std::uint16_t, kMaxComboTables> members;
        int count;
    };
    // Members stay sorted, so that equal sets compare equal.
    auto with_member = [](const Partial& partial, std::uint16_t candidate) {
        Partial grown = partial;
        int at = grown.count;
        while (at > 0 && grown.members[at - 1] > candidate) {
            grown.members[at] = grown.members[at - 1];
            --at;
        }
        grown.members[at] = candidate;
        grown.count++;
        return grown;
    };
    std::vector<Partial> frontier;
    std::vector<Partial> next;
    for (std::size_t seed = 0; seed < tables_.size(); ++seed) {
        if (combinations_.size() >= kMaxCombinations) {
            break;
        }
        frontier.clear();
        frontier.push_back(Partial{{static_cast<std::uint16_t>(seed)}, 1});
        for (int size = 2; size <= max_combo_tables_; ++size) {
            next.clear();
            for (const Partial& partial : frontier) {
                for (int m = 0; m < partial.count; ++m) {
                    for (std::uint16_t candidate : neighbours[partial.members[m]]) {
                        if (candidate <= seed) {
                            continue;
                        }
                        const auto* end = partial.members.begin() + partial.count;
                        if (std::find(partial.members.begin(), end, candidate) != end) {
                            continue;
                        }
                        next.push_back(with_member(partial, candidate));
                    }
                }
            }
            std::sort(next.begin(), next.end(),
                      [](const Partial& a, const Partial& b) { return a.members < b.members; });
            next.erase(std::unique(next.begin(), next.end(),
                                   [](const Partial& a, const Partial& b) {
                                       return a.members == b.members;
                                   }),
                       next.end());
            for (const Partial& partial : next) {
                SeatingOption option;
                option.table_count = static_cast<std::uint8_t>(partial.count);
                option.tables = partial.members;
                for (int m = 0; m < partial.count; ++m) {
                    const TableInfo& table = tables_[partial.members[m]];
                    option.capacity += table.capacity;
                    option.min_party = std::max(option.min_party, table.min_party);
                }
                option.zone = static_cast<std::uint16_t>(zone_index(tables_[seed].zone));
                combinations_.push_back(option);
                max_capacity_ = std::max(max_capacity_, option.capacity);
                if (combinations_.size() >= kMaxCombinations) {
                    break;
                }
            }
            if (combinations_.size() >= kMaxCombinations) {
                break;
            }
            std::swap(frontier, next);
        }
    }
    std::sort(combinations_.begin(), combinations_.end(), option_less);
}

bool Inventory::could_seat(int party_size) const {
    auto admits = [party_size](const SeatingOption& o) { return o.admits(party_size); };
    return std::any_of(singles_.begin(), singles_.end(), admits) ||
           std::any_of(combinations_.begin(), combinations_.end(), admits);
}

int Inventory::index_of(const Uuid& id) const {
    auto it = index_by_id_.find(id);
    return it == index_by_id_.end() ? -1 : it->second;
}

int Inventory::zone_index(std::string_view zone) const {
    for (std::size_t i = 0; i < zones_.size(); ++i) {
        if (zones_[i] == zone) {
            return static_cast<int>(i);
        }
    }
    return -1;
}

}  // namespace av3
