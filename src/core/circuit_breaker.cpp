#include "core/circuit_breaker.hpp"

namespace av3 {

std::string_view circuit_state_name(CircuitState state) {
    switch (state) {
        case CircuitState::Closed:
            return "closed";
        case CircuitState::Open:
            return "open";
        case CircuitState::HalfOpen:
            return "half_open";
    }
    return "unknown";
}

Admission circuit_admit(CircuitBreaker& breaker, const CircuitBreakerPolicy& policy, Micros now) {
    switch (breaker.state) {
        case CircuitState::Closed:
            return Admission::Allow;
        case CircuitState::Open:
            if (now - breaker.opened_at < policy.cooldown) {
                return Admission::Deny;
            }
            breaker.state = CircuitState::HalfOpen;
            breaker.probe_started_at = now;
            return Admission::Probe;
        case CircuitState::HalfOpen:
            // A probe whose process died before reporting would hold the breaker half-open
            // forever; after another cooldown a new probe is admitted.
            if (now - breaker.probe_started_at >= policy.cooldown) {
                breaker.probe_started_at = now;
                return Admission::Probe;
            }
            return Admission::Deny;
    }
    return Admission::Deny;
}

CircuitChange circuit_record_success(CircuitBreaker& breaker, Micros now) {
    (void)now;
    if (breaker.state == CircuitState::HalfOpen) {
        breaker.state = CircuitState::Closed;
        breaker.failures = 0;
        return CircuitChange::Closed;
    }
    return CircuitChange::None;
}

CircuitChange circuit_record_failure(CircuitBreaker& breaker, const CircuitBreakerPolicy& policy,
                                     Micros now) {
    breaker.last_failure_at = now;
    switch (breaker.state) {
        case CircuitState::Open:
            return CircuitChange::None;  // already reported
        case CircuitState::HalfOpen:
            breaker.state = CircuitState::Open;
            breaker.opened_at = now;
            breaker.trips++;
            return CircuitChange::Opened;
        case CircuitState::Closed:
            if (breaker.failures == 0 || now - breaker.window_started_at > policy.window) {
                breaker.failures = 0;
                breaker.window_started_at = now;
            }
            breaker.failures++;
            if (breaker.failures >= policy.threshold) {
                breaker.state = CircuitState::Open;
                breaker.opened_at = now;
                breaker.failures = 0;
                breaker.trips++;
                return CircuitChange::Opened;
            }
            return CircuitChange::None;
    }
    return CircuitChange::None;
}

void circuit_reset(CircuitBreaker& breaker) {
    breaker.state = CircuitState::Closed;
    breaker.failures = 0;
    breaker.window_started_at = 0;
    breaker.opened_at = 0;
    breaker.probe_started_at = 0;
}

}  // namespace av3
