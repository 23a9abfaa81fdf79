// The circuit breaker and the per-restaurant rate schedules, shared by every worker and
// backend through shared memory (a backend-local copy when the library is not preloaded).
//
// They are not transactional, so what a batch does to them is applied once, when the work it
// describes has committed (docs/architecture.md, "Non-transactional state"): a batch *stages*
// its V3 results and the rate schedules it advanced; the stage is applied by the commit of the
// top-level transaction, dropped by its abort, and dropped with a subtransaction that rolls
// back (the bulk attempt of a batch that is then redone booking by booking stages again).
// A change of the breaker made at commit is recorded as an event by the next batch
// (take_unrecorded_breaker_changes()).
#pragma once

#include <vector>

#include "core/circuit_breaker.hpp"
#include "core/rate_schedule.hpp"
#include "core/types.hpp"
#include "pg/shared_state.hpp"

namespace av3::pg {

// Registers the transaction callbacks that apply or drop what is staged (from _PG_init).
void install_policy_hooks();

// Before claiming V3 work. (Admission may move an open breaker to half-open: a probe. That is
// not staged; a probe that never reports is replaced after a cooldown.)
Admission admit_v3(Micros now);
// A probe admitted but not used (no V3 booking was due): let the next caller probe.
void release_unused_probe(Micros now);
// Snapshot for circuit_breaker() and status().
CircuitBreaker circuit_snapshot();
// Operator reset.
void reset_circuit();

// V3 invocations of this transaction: successes and failures (coordinator.error outcomes);
// `probe` when they ran under Admission::Probe. Applied at commit.
void stage_v3_results(int successes, int failures, bool probe);
// A batch whose transaction rolled back as a whole: one failure, counted at once (the
// rollback is the work that stands).
void count_failed_batch(Micros now);

// A restaurant's rate schedule, read under its advisory lock (only its holder changes it).
RateSchedule load_rate_schedule(const Uuid& restaurant_id);
// The schedule after this transaction's decisions; written back at commit (before the
// advisory lock is released).
void stage_rate_schedule(const Uuid& restaurant_id, const RateSchedule& schedule);

// Breaker changes that have no event yet, for this transaction to record; they count as
// recorded when it commits. Empty when there are none, or another backend records them now.
std::vector<BreakerChange> take_unrecorded_breaker_changes();

}  // namespace av3::pg
