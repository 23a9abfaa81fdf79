// The GUCs of docs/architecture.md §10: rollout flags (sighup: a reload flips them for every
// process at once, no restart), tuning knobs with bounds and units (suset: postgresql.conf and a
// reload set them for the workers, and a superuser may try other values in a session, e.g. with
// process_pending()), and the two postmaster-level settings (database, role).
#pragma once

#include "core/backoff.hpp"
#include "core/circuit_breaker.hpp"
#include "core/invocation.hpp"
#include "core/rollout.hpp"
#include "core/rate_schedule.hpp"

namespace av3::pg::settings {

// Rollout flags (the old environment flags).
extern bool enabled;
extern bool shadow;
extern int max_parallel;
extern int rollout_percent;
extern bool legacy_planner;
// Pauses every worker activity (assignment and retention) of the database the workers serve:
// a logical-replication subscriber, a restore, maintenance (docs/operations.md).
extern bool paused;
// The automatic kill switch (docs/rollout-runbook.md, "The kill switch").
extern bool auto_rollback;
extern int auto_rollback_window_s;
extern int auto_rollback_min_samples;

// Announces each decided booking with NOTIFY assignment_v3 at commit (pg/decision_notices.hpp).
extern bool notify;

// Where the launcher and workers connect.
extern char* database;
extern char* role;

// Tuning.
extern int batch_size;
extern int poll_interval_ms;
extern int max_retries;
extern int retry_backoff_base_ms;
extern int retry_backoff_max_ms;
extern int circuit_breaker_threshold;
extern int circuit_breaker_window_ms;
extern int circuit_breaker_cooldown_ms;
extern int restaurant_rate_limit;
extern int restaurant_rate_burst;
extern int max_combo_tables;
extern int legacy_max_attempts;
extern int event_retention_min;
// Seatings that ended longer ago than this leave the double-booking index
// (pg/settled_seatings.hpp).
extern int settle_after_min;
extern int max_event_context_bytes;

constexpr int kMaxParallelLimit = 10;

// Registers every GUC and reserves the "assignment_v3." prefix. Called from _PG_init. The
// postmaster-level settings (database, role) exist only when the library is preloaded:
// Postgres refuses to create them later, and without preloading nothing uses them.
void define_all(bool preloading);

// The current values, as the core's policy structs.
RolloutFlags rollout_flags();
InvocationSettings invocation_settings();
CircuitBreakerPolicy circuit_breaker_policy();
RatePolicy rate_policy();

// Workers the current mode needs: max_parallel while V3 or the legacy planner serves
// bookings, none when both are off or the workers are paused.
int workers_needed();

}  // namespace av3::pg::settings
