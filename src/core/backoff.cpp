#include "core/backoff.hpp"

#include <algorithm>

namespace av3 {

Micros retry_delay(const BackoffPolicy& policy, int attempt, std::uint64_t jitter_seed) {
    const Micros base = std::max<Micros>(policy.base, 1);
    const Micros cap = std::max(policy.max, base);
    Micros raw = base;
    for (int i = 1; i < attempt && raw < cap; ++i) {
        raw = raw > cap / 2 ? cap : raw * 2;
    }
    raw = std::min(raw, cap);
    const Micros half = raw / 2;
    const std::uint64_t span = static_cast<std::uint64_t>(raw - half) + 1;
    return half +
           static_cast<Micros>(mix64(jitter_seed + static_cast<std::uint64_t>(attempt)) % span);
}

}  // namespace av3
