// Basic value types shared by the pure C++ core.
//
// The core never includes Postgres headers: it is compiled without the server include
// path (see Makefile and CMakeLists.txt), so it can be unit-tested and benchmarked alone.
// Times are microseconds on the caller's clock; the Postgres glue passes TimestampTz
// values (microseconds since 2000-01-01), tests pass small numbers.
#pragma once

#include <array>
#include <cstdint>
#include <string>

namespace av3 {

using Micros = std::int64_t;

constexpr Micros kMicrosPerMilli = 1000;
constexpr Micros kMicrosPerSecond = 1000 * kMicrosPerMilli;
constexpr Micros kMicrosPerMinute = 60 * kMicrosPerSecond;

// A 16-byte UUID, byte-compatible with Postgres' pg_uuid_t.
struct Uuid {
    std::array<std::uint8_t, 16> bytes{};

    bool operator==(const Uuid& other) const { return bytes == other.bytes; }
    bool operator!=(const Uuid& other) const { return bytes != other.bytes; }
    bool operator<(const Uuid& other) const { return bytes < other.bytes; }

    // Canonical 8-4-4-4-12 lowercase form.
    std::string to_string() const;
    // A stable 64-bit hash of the bytes (FNV-1a); identical on every platform and release,
    // because rollout buckets and backoff jitter are derived from it.
    std::uint64_t stable_hash() const;
    // Builds a UUID whose bytes are all zero except the last eight, which hold `n`;
    // convenient for tests and benchmarks.
    static Uuid from_number(std::uint64_t n);
};

struct UuidHasher {
    std::size_t operator()(const Uuid& id) const {
        return static_cast<std::size_t>(id.stable_hash());
    }
};

// Mixes a 64-bit value (splitmix64 finaliser); used to derive stable pseudo-random numbers.
std::uint64_t mix64(std::uint64_t value);

}  // namespace av3
