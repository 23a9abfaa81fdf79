// Retry delays: exponential backoff with "equal jitter". The jitter is derived from the
// booking id and the attempt number instead of a random generator, so bookings that failed
// together spread out, while a given booking's delays are reproducible (and testable).
#pragma once

#include <cstdint>

#include "core/types.hpp"

namespace av3 {

struct BackoffPolicy {
    Micros base = kMicrosPerSecond;     // delay scale of the first retry
    Micros max = 5 * kMicrosPerMinute;  // cap of the exponential part
};

// Delay before retry number `attempt` (1 = the first retry): with
// raw = min(max, base * 2^(attempt - 1)), a value in [raw / 2, raw].
Micros retry_delay(const BackoffPolicy& policy, int attempt, std::uint64_t jitter_seed);

}  // namespace av3
