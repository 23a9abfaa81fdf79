// Which worker serves a restaurant first (pg/claim.hpp, step 2).
//
// Each restaurant is in one worker's share by a stable hash of its id, so that two workers
// rarely want the same restaurant's lock and each worker's schedule cache stays current for
// the restaurants it serves (pg/schedule_cache.hpp). Hash shares are uneven, and the worker
// done with its own takes others' restaurants with the room left in its batch; were the
// restaurant then to go back to its owner at the next batch, the two would alternate on it and
// every commit of one would make the other's cache of it stale (a reload of its seatings per
// batch). So a worker that committed work for a restaurant keeps it for a moment: the
// restaurant is in its share, not the hash's, while it keeps serving it. Shares thus follow the
// load; a keeper that stops (or exits) gives the restaurant back when the moment is over.
//
// Only an order of preference: whoever gets the restaurant's lock serves it, and a worker with
// room in its batch takes any restaurant (the lock, the row locks and the exclusion constraint
// guard the bookings, not this).
#pragma once

#include <cstdint>
#include <optional>

#include "core/types.hpp"

namespace av3 {

// How long a restaurant stays with the worker that last committed work for it: long against a
// batch (milliseconds), short against a worker's absence (a crash, a lower max_parallel).
constexpr Micros kKeepRestaurantFor = 1 * kMicrosPerSecond;

// A restaurant's keeper as one word (shared memory holds one per hash slot): the worker slot and
// when the keeping ends, to the millisecond. 0 means nobody keeps it.
std::uint64_t keeper_word(int worker_slot, Micros until);

// The worker slot keeping the restaurant at `now`, if any (nobody if the keeping ends later
// than one written at `now` would: the clock stepped back).
std::optional<int> keeper_at(std::uint64_t word, Micros now);

// Whether the worker in `worker_slot`, one of `shares` workers, serves the restaurant before
// others': it keeps it, or nobody does and its hash falls in the worker's share.
bool serves_first(std::uint64_t restaurant_hash, std::optional<int> keeper, int worker_slot,
                  int shares);

}  // namespace av3
