// Time-ordered UUIDs (RFC 9562, version 7): booking ids for applications that choose them
// (assignment_v3.uuid_v7(); docs/architecture.md, "Booking ids").
//
// Why: bookings' primary key, table_assignments' primary key and the events' booking_id index
// are all keyed by the booking id. With random ids (gen_random_uuid(), the default) each new
// booking writes to a random leaf of each, and once those indexes outgrow the caches every
// booking reads pages no cache holds and writes a full-page image of each after every
// checkpoint: with a large history, over half as much WAL again per booking
// (docs/BENCHMARKS.md, "History"). Ids that grow with time keep those insertions at the
// indexes' right edges, on a few hot pages, however long the history; but workers that seat
// bookings made at the same time then write the same index pages, which cost a drain of a
// fresh backlog by two workers more than it saved (hence not the default).
//
// Layout: the first 48 bits are the milliseconds since the Unix epoch, then the version (7),
// then 12 bits of the fraction of that millisecond (RFC 9562 §6.2, method 3: ids made in the
// same millisecond keep the order of their microseconds), then the variant (0b10)
// and 62 random bits.
#pragma once

#include <array>
#include <cstdint>
#include <optional>

#include "core/types.hpp"

namespace av3 {

// The times a version 7 UUID can hold: from the Unix epoch to the end of its 48 bits of
// milliseconds (the year 10889).
constexpr std::int64_t kUuidV7MaxUnixMicros = (std::int64_t{1} << 48) * 1000 - 1;

// The UUID for `unix_micros` (microseconds since 1970-01-01 UTC) with `random` as its random
// bits (the two variant bits of random[0] are overwritten); none outside
// [0, kUuidV7MaxUnixMicros].
std::optional<Uuid> uuid_v7(std::int64_t unix_micros, const std::array<std::uint8_t, 8>& random);

// The times of one session's successive ids: the clock's, or one microsecond past the last
// when the clock has not moved on since (the same microsecond, or a step back), so that the ids
// a session makes sort in the order it made them, as PostgreSQL 18's uuidv7() does.
class MonotonicMicros {
public:
    std::int64_t next(std::int64_t clock) {
        last_ = clock > last_ ? clock : last_ + 1;
        return last_;
    }

private:
    std::int64_t last_ = -1;
};

}  // namespace av3
