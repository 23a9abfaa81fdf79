#include "pg/restaurant_lock.hpp"

#include "pg/error_boundary.hpp"
#include "pg/postgres.hpp"

namespace av3::pg {

namespace {

// "av3" in ASCII: the class id that marks our advisory locks in pg_locks.
constexpr int kLockClassId = 0x00617633;

LockAcquireResult acquire(const Uuid& restaurant_id, bool wait) {
    const RestaurantLockKey key = restaurant_lock_key(restaurant_id);
    return pg_call([&] {
        LOCKTAG tag;
        // The tag pg_advisory_xact_lock(int4, int4) uses.
        SET_LOCKTAG_ADVISORY(tag, MyDatabaseId, static_cast<uint32>(key.classid),
                             static_cast<uint32>(key.objid), 2);
        return LockAcquire(&tag, ExclusiveLock, false, !wait);
    });
}

}  // namespace

RestaurantLockKey restaurant_lock_key(const Uuid& restaurant_id) {
    const std::uint64_t hash = restaurant_id.stable_hash();
    return RestaurantLockKey{kLockClassId,
                             static_cast<int>(static_cast<std::uint32_t>(hash ^ (hash >> 32)))};
}

bool try_lock_restaurant(const Uuid& restaurant_id) {
    return acquire(restaurant_id, false) != LOCKACQUIRE_NOT_AVAIL;
}

void lock_restaurant(const Uuid& restaurant_id) {
    acquire(restaurant_id, true);
}

}  // namespace av3::pg
