#include "core/rate_schedule.hpp"

#include <algorithm>
#include <cmath>

namespace av3 {

RateDecision schedule_invocation(RateSchedule& schedule, const RatePolicy& policy, Micros now) {
    if (policy.per_second <= 0) {
        return {};
    }
    const Micros interval = std::max<Micros>(
        1, static_cast<Micros>(std::llround(kMicrosPerSecond / policy.per_second)));
    const Micros tolerance = static_cast<Micros>(std::max(1.0, policy.burst) - 1.0) * interval;
    const Micros tat = std::max(schedule.tat, now);
    const Micros earliest = tat - tolerance;
    schedule.tat = tat + interval;  // admitted now, or the slot reserved for later
    if (now >= earliest) {
        return {};
    }
    return RateDecision{false, earliest};
}

}  // namespace av3
