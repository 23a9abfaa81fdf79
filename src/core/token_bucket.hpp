// Per-restaurant rate limit (DESIGN §5 step 3): a token bucket as pure logic over a plain
// struct, kept in shared memory by the Postgres side.
#pragma once

#include "core/types.hpp"

namespace av3 {

struct RatePolicy {
    double per_second = 0;  // refill rate; <= 0 means unlimited
    double burst = 1;       // bucket size
};

struct TokenBucket {
    double tokens = 0;
    Micros refilled_at = 0;
    bool initialised = false;
};

// Takes one token. Returns 0 when granted, otherwise how long until a token is available
// (the rate-limited booking's retry delay).
Micros take_token(TokenBucket& bucket, const RatePolicy& policy, Micros now);

}  // namespace av3
