#include "core/token_bucket.hpp"

#include <algorithm>
#include <cmath>

namespace av3 {

Micros take_token(TokenBucket& bucket, const RatePolicy& policy, Micros now) {
    if (policy.per_second <= 0) {
        return 0;
    }
    const double burst = std::max(1.0, policy.burst);
    if (!bucket.initialised) {
        bucket.tokens = burst;
        bucket.refilled_at = now;
        bucket.initialised = true;
    }
    if (now > bucket.refilled_at) {
        const double elapsed_seconds =
            static_cast<double>(now - bucket.refilled_at) / kMicrosPerSecond;
        bucket.tokens = std::min(burst, bucket.tokens + elapsed_seconds * policy.per_second);
        bucket.refilled_at = now;
    }
    if (bucket.tokens >= 1.0) {
        bucket.tokens -= 1.0;
        return 0;
    }
    const double missing = 1.0 - bucket.tokens;
    return std::max<Micros>(
        1, static_cast<Micros>(std::ceil(missing / policy.per_second * kMicrosPerSecond)));
}

}  // namespace av3
