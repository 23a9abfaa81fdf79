// One pass of the pipeline over claimed bookings: the V3 coordinator for restaurants rolled
// in, the legacy planner (with shadow plans in shadow mode) for the others, then the circuit
// breaker's bookkeeping. Workers, process_pending() and assign_booking() all run this code.
#pragma once

#include "core/circuit_breaker.hpp"
#include "pg/claim.hpp"
#include "pg/invocation_result.hpp"

namespace av3::pg {

struct BatchResult {
    std::vector<InvocationResult> results;
    int claimed = 0;
    bool due_elsewhere = false;
    int shadow_plans = 0;
    std::vector<Uuid> restaurants;  // whose locks the batch took (run_batch())
};

// Claims up to `limit` due bookings and processes them (the worker's loop body; also
// process_pending()).
BatchResult run_batch(int limit);

// Processes one booking now, whatever its next_attempt_at (assign_booking()). `forced` picks
// the pipeline instead of the rollout.
InvocationResult run_single(const Uuid& booking_id, std::optional<PipelineMode> forced);

// A batch failed as a whole (its transaction rolled back): counts toward the circuit breaker
// at once. A trip it causes is recorded by the next batch.
void count_batch_failure(Micros now);

// Writes coordinator.circuit_open / coordinator.circuit_closed for the changes of the breaker
// that have no event yet (each change gets exactly one, from a transaction that committed).
// run_batch() and run_single() begin with it.
void record_breaker_changes();

}  // namespace av3::pg
