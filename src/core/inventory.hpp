// A restaurant's seating inventory: its active tables and every seating option built from
// them (single tables and adjacent combinations), sorted once so that a fit is a short scan.
//
// An inventory is immutable after build() and cheap to share; the Postgres side caches one
// per restaurant and rebuilds it when tables or adjacency change.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/types.hpp"

namespace av3 {

// Hard upper bound on tables per combination (the GUC max_combo_tables is checked against it).
constexpr int kMaxComboTables = 4;

struct TableInfo {
    Uuid id;
    std::string label;
    int capacity = 0;
    int min_party = 1;
    std::string zone;
    bool active = true;
};

// A way to seat a party: one table or a connected group of adjacent tables in one zone.
struct SeatingOption {
    int capacity = 0;   // seats in total
    int min_party = 1;  // the largest min_party of its tables
    std::uint8_t table_count = 0;
    std::uint16_t zone = 0;  // index into Inventory::zones()
    std::array<std::uint16_t, kMaxComboTables>
        tables{};  // indexes into Inventory::tables(), ascending

    bool admits(int party_size) const { return capacity >= party_size && min_party <= party_size; }
};

class Inventory {
public:
    // Builds the inventory from all tables of a restaurant (inactive ones are dropped) and its
    // adjacency edges (edges touching unknown or inactive tables, or crossing zones, are ignored:
    // combinations never span zones). max_combo_tables is clamped to [1, kMaxComboTables].
    static Inventory build(std::vector<TableInfo> tables,
                           const std::vector<std::pair<Uuid, Uuid>>& adjacency,
                           int max_combo_tables);

    const std::vector<TableInfo>& tables() const { return tables_; }
    const std::vector<std::string>& zones() const { return zones_; }
    // Single tables, by capacity then id.
    const std::vector<SeatingOption>& singles() const { return singles_; }
    // Combinations of 2..max_combo_tables tables, by capacity, then table count, then ids.
    const std::vector<SeatingOption>& combinations() const { return combinations_; }
    int max_combo_tables() const { return max_combo_tables_; }

    bool empty() const { return tables_.empty(); }
    // The most seats any option offers (0 without tables).
    int max_capacity() const { return max_capacity_; }
    // True when at least one option could ever seat the party (ignoring time).
    bool could_seat(int party_size) const;
    // Index of a table by id, or -1 (also for inactive tables).
    int index_of(const Uuid& id) const;
    // Index of a zone name, or -1.
    int zone_index(std::string_view zone) const;

private:
    void enumerate_combinations(const std::vector<std::vector<std::uint16_t>>& neighbours);

    std::vector<TableInfo> tables_;  // active tables, by id
    std::vector<std::string> zones_;
    std::vector<SeatingOption> singles_;
    std::vector<SeatingOption> combinations_;
    std::unordered_map<Uuid, int, UuidHasher> index_by_id_;
    int max_combo_tables_ = 1;
    int max_capacity_ = 0;
};

}  // namespace av3
