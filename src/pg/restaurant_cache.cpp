#include "pg/restaurant_cache.hpp"

#include "pg/settings.hpp"
#include "pg/shared_state.hpp"
#include "pg/spi.hpp"
#include "pg/transaction_hooks.hpp"

namespace av3::pg {

namespace {

Statement& select_restaurant() {
    static Statement statement(
        "SELECT (extract(epoch FROM r.turn_buffer) * 1000000)::bigint, r.max_covers_per_slot, "
        "o.mode "
        "FROM assignment_v3.restaurants r "
        "LEFT JOIN assignment_v3.restaurant_rollout o ON o.restaurant_id = r.id "
        "WHERE r.id = $1",
        {UUIDOID});
    return statement;
}

Statement& select_tables() {
    static Statement statement(
        "SELECT id, label, capacity, min_party, zone, active FROM assignment_v3.restaurant_tables "
        "WHERE restaurant_id = $1",
        {UUIDOID});
    return statement;
}

Statement& select_adjacency() {
    static Statement statement(
        "SELECT table_a, table_b FROM assignment_v3.table_adjacency WHERE restaurant_id = $1",
        {UUIDOID});
    return statement;
}

}  // namespace

PipelineMode RestaurantInfo::mode() const {
    if (!exists) {
        return PipelineMode::Off;
    }
    return resolve_mode(settings::rollout_flags(), override_mode, bucket);
}

RestaurantCache& RestaurantCache::instance() {
    static RestaurantCache cache;
    return cache;
}

void RestaurantCache::drop_if_stale() {
    const std::uint64_t transaction = transaction_number();
    const std::uint64_t current = current_inventory_generation();
    if (transaction == checked_in_transaction_ && current == generation_) {
        return;
    }
    const bool new_transaction = transaction != checked_in_transaction_;
    if (current != generation_ || (new_transaction && shared_state() == nullptr)) {
        entries_.clear();
    }
    generation_ = current;
    checked_in_transaction_ = transaction;
}

RestaurantCache::Entry& RestaurantCache::entry(const Uuid& restaurant_id) {
    drop_if_stale();
    auto it = entries_.find(restaurant_id);
    if (it != entries_.end()) {
        return it->second;
    }
    Entry entry;
    entry.info.id = restaurant_id;
    entry.info.bucket = rollout_bucket(restaurant_id);
    Rows rows = select_restaurant().run({{uuid_datum(restaurant_id), false}});
    if (!rows.empty()) {
        Row row = rows[0];
        entry.info.exists = true;
        entry.info.turn_buffer = row.int8(1);
        entry.info.max_covers_per_slot = row.is_null(2) ? 0 : row.int4(2);
        entry.info.override_mode = row.is_null(3) ? std::nullopt : parse_override(row.text(3));
    }
    return entries_.emplace(restaurant_id, std::move(entry)).first->second;
}

RestaurantInfo RestaurantCache::info(const Uuid& restaurant_id) {
    return entry(restaurant_id).info;
}

std::shared_ptr<const Inventory> RestaurantCache::inventory(const Uuid& restaurant_id) {
    Entry& e = entry(restaurant_id);
    if (e.inventory && e.inventory_combo_limit == settings::max_combo_tables) {
        return e.inventory;
    }
    std::vector<TableInfo> tables;
    const Datum id = uuid_datum(restaurant_id);
    Rows rows = select_tables().run({{id, false}});
    tables.reserve(rows.size());
    for (std::uint64_t i = 0; i < rows.size(); ++i) {
        Row row = rows[i];
        TableInfo t;
        t.id = row.uuid(1);
        t.label = row.text(2);
        t.capacity = row.int4(3);
        t.min_party = row.int4(4);
        t.zone = row.text(5);
        t.active = row.boolean(6);
        tables.push_back(std::move(t));
    }
    std::vector<std::pair<Uuid, Uuid>> adjacency;
    rows = select_adjacency().run({{id, false}});
    for (std::uint64_t i = 0; i < rows.size(); ++i) {
        adjacency.emplace_back(rows[i].uuid(1), rows[i].uuid(2));
    }
    e.inventory = std::make_shared<const Inventory>(
        Inventory::build(std::move(tables), adjacency, settings::max_combo_tables));
    e.inventory_combo_limit = settings::max_combo_tables;
    return e.inventory;
}

}  // namespace av3::pg
