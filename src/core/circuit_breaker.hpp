// The coordinator's shared circuit breaker (docs/architecture.md §7), as pure logic over a plain
// struct: the Postgres side keeps the struct in shared memory and calls these functions
// under its lock, with its clock.
//
// closed --(threshold unexpected errors within window)--> open
// open --(cooldown elapsed; one invocation admitted as a probe)--> half_open
// half_open --(probe succeeds)--> closed, --(probe fails)--> open (a new trip)
#pragma once

#include <cstdint>
#include <string_view>

#include "core/types.hpp"

namespace av3 {

enum class CircuitState : std::uint8_t { Closed, Open, HalfOpen };

std::string_view circuit_state_name(CircuitState state);

struct CircuitBreakerPolicy {
    int threshold = 5;                        // unexpected errors that trip the breaker...
    Micros window = kMicrosPerMinute;         // ...when they fall within this window
    Micros cooldown = 30 * kMicrosPerSecond;  // time open before a probe is admitted
};

// Plain data, so that it can live in shared memory.
struct CircuitBreaker {
    CircuitState state = CircuitState::Closed;
    int failures = 0;  // in the current window
    Micros window_started_at = 0;
    Micros opened_at = 0;
    Micros probe_started_at = 0;  // when the half-open probe was admitted
    std::uint64_t trips = 0;      // how many times it opened, ever
    std::int64_t last_failure_at = 0;
};

enum class Admission : std::uint8_t {
    Allow,  // closed: claim normally
    Probe,  // half-open: exactly one invocation may run, and its result decides
    Deny,   // open (or a probe is already running)
};

// Called before claiming V3 work.
Admission circuit_admit(CircuitBreaker& breaker, const CircuitBreakerPolicy& policy, Micros now);

enum class CircuitChange : std::uint8_t { None, Opened, Closed };

// Called after each V3 invocation; the caller emits coordinator.circuit_open / _closed
// when a change is returned, so each trip is reported exactly once.
CircuitChange circuit_record_success(CircuitBreaker& breaker, Micros now);
CircuitChange circuit_record_failure(CircuitBreaker& breaker, const CircuitBreakerPolicy& policy,
                                     Micros now);

// Operator reset: closed, counters cleared (trips are kept).
void circuit_reset(CircuitBreaker& breaker);

}  // namespace av3
