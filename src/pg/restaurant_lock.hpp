// Per-restaurant serialisation (docs/architecture.md §4): a transaction-scoped advisory lock, the
// same one `pg_advisory_xact_lock(classid, objid)` takes with the keys restaurant_lock_key()
// returns, so operators and tests can hold it from SQL.
#pragma once

#include "core/types.hpp"

namespace av3::pg {

struct RestaurantLockKey {
    int classid;
    int objid;
};

RestaurantLockKey restaurant_lock_key(const Uuid& restaurant_id);

// Without waiting; false when another transaction holds it.
bool try_lock_restaurant(const Uuid& restaurant_id);
// Waits for it (operator functions).
void lock_restaurant(const Uuid& restaurant_id);

}  // namespace av3::pg
