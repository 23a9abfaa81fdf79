// Per-backend cache of what the coordinator needs to know about a restaurant: its settings,
// its rollout override and bucket, and its seating inventory (built on first use).
//
// When entries are dropped: at most once per transaction (on its first use of the cache) and
// whenever this backend itself changed an inventory, if the inventory generation moved since
// (restaurants, tables, adjacency or rollout overrides changed anywhere: bumped after commit by
// the tables' triggers). Without shared memory (the library not preloaded) other backends'
// changes cannot be seen in the generation, so every transaction starts with an empty cache.
// Nothing the cache hands out points into it: info() is a copy, an inventory is shared.
#pragma once

#include <memory>
#include <unordered_map>

#include "core/inventory.hpp"
#include "core/rollout.hpp"
#include "core/types.hpp"

namespace av3::pg {

struct RestaurantInfo {
    Uuid id;
    bool exists = false;
    Micros turn_buffer = 0;
    int max_covers_per_slot = 0;  // 0: no cap
    std::optional<RolloutOverride> override_mode;
    int bucket = 0;

    // The pipeline serving the restaurant under the current GUCs.
    PipelineMode mode() const;
};

class RestaurantCache {
public:
    static RestaurantCache& instance();

    // Settings and rollout of a restaurant (exists == false when it is unknown).
    RestaurantInfo info(const Uuid& restaurant_id);
    // Its inventory, built from active tables and adjacency with max_combo_tables.
    std::shared_ptr<const Inventory> inventory(const Uuid& restaurant_id);

private:
    struct Entry {
        RestaurantInfo info;
        std::shared_ptr<const Inventory> inventory;
        int inventory_combo_limit = 0;
    };
    Entry& entry(const Uuid& restaurant_id);
    void drop_if_stale();

    std::unordered_map<Uuid, Entry, UuidHasher> entries_;
    std::uint64_t generation_ = 0;
    std::uint64_t checked_in_transaction_ = 0;  // transaction_number() of the last check
};

}  // namespace av3::pg
