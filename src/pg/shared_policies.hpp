// The circuit breaker and the per-restaurant rate limit, shared by every worker and backend
// through shared memory (a backend-local copy when the library is not preloaded).
#pragma once

#include "core/circuit_breaker.hpp"
#include "core/types.hpp"

namespace av3::pg {

// Before claiming V3 work.
Admission admit_v3(Micros now);
// After a batch: successes and failures of V3 invocations (failures are coordinator.error
// outcomes and batch-level errors). `probe` when the batch ran under Admission::Probe.
// Returns the breaker change to report (each trip is reported by exactly one caller).
CircuitChange record_v3_results(int successes, int failures, bool probe, Micros now);
// A probe admitted but not used (no V3 booking was due): let the next caller probe.
void release_unused_probe(Micros now);
// Snapshot for status().
CircuitBreaker circuit_snapshot();
// Operator reset.
void reset_circuit();

// Takes a token for one invocation of the restaurant; returns 0 or the wait until one is free.
Micros take_rate_token(const Uuid& restaurant_id, Micros now);

}  // namespace av3::pg
