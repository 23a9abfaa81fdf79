// What each restaurant's tables are booked for, kept by a backend between its batches
// (docs/architecture.md, "Schedules"), so that a worker reads from table_assignments only what
// it has not seen: the days of a restaurant it has not served yet, or whose seatings someone
// else changed since.
//
// Trust rests on two facts. Every transaction that changes a restaurant's assignments through
// the extension (the one writer, pg/booking_writes.hpp; the application paths that release
// tables) bumps that restaurant's generation in shared memory when it commits, and its own
// cache applies its own changes then; anything else that touches table_assignments (a
// superuser's DML, TRUNCATE, a cascade from deleted bookings) bumps the generation of every
// restaurant. And whoever adds seatings holds the restaurant's lock until it commits, as does
// every reader of the cache: a reader therefore never misses a seating that is there (it would
// double-book), at worst it sees one a moment after it was released (a retry). The exclusion
// constraint stays the last word either way.
//
// Bounded: past kMaxCachedSeats seatings, the restaurants used longest ago are forgotten.
#pragma once

#include <list>
#include <map>
#include <unordered_map>

#include "core/schedule.hpp"
#include "pg/postgres.hpp"

namespace av3::pg {

struct BusySeat {
    Uuid table_id;
    Interval during;
};

class ScheduleCache {
public:
    static ScheduleCache& instance();

    // The seatings of the restaurant that overlap any of the intervals (sorted, disjoint), read
    // from the cache where it is current, from table_assignments where not. Call with the
    // restaurant's lock held.
    std::vector<BusySeat> busy(const Uuid& restaurant_id, const std::vector<Interval>& intervals);

    // The current transaction seats or frees a booking's tables: applied to this cache (and
    // announced to the others) when it commits, dropped if it rolls back.
    static void seated_in_transaction(const Uuid& restaurant_id, const Uuid& booking_id,
                                      const std::vector<BusySeat>& seats);
    static void released_in_transaction(const Uuid& restaurant_id, const Uuid& booking_id);
    // Assignments changed in a way the extension did not follow row by row: at commit, every
    // restaurant's cached schedule, in every backend, is forgotten.
    static void everything_changed_in_transaction();

    // Registers the transaction callbacks (from _PG_init).
    static void install_hooks();

    std::size_t cached_seats() const { return cached_seats_; }

    // For the transaction callback: the committed changes applied (and announced), or all of
    // it forgotten.
    void apply_commit();
    void clear();

private:
    struct Seat {
        Uuid booking_id;
        Uuid table_id;
        Interval during;
    };
    struct Entry {
        std::uint64_t generation = 0;  // the restaurant's, when the entry was last current
        std::uint64_t all_generation = 0;
        std::map<std::int64_t, std::vector<Seat>> days;  // by day of the seating's start
        std::list<Uuid>::iterator lru;
    };

    std::vector<BusySeat> busy_or_throw(const Uuid& restaurant_id,
                                        const std::vector<Interval>& intervals);
    Entry* current_entry(const Uuid& restaurant_id);
    void load_days(const Uuid& restaurant_id, Entry& entry, const std::vector<std::int64_t>& days);
    void forget(const Uuid& restaurant_id);
    void evict();

    // table_assignments as it was when the entries were read: another relation (the extension
    // dropped and created again) invalidates them all.
    Oid assignments_relid_ = InvalidOid;
    std::unordered_map<Uuid, Entry, UuidHasher> entries_;
    std::list<Uuid> lru_;  // most recently used first
    std::size_t cached_seats_ = 0;
};

}  // namespace av3::pg
