// Shared memory of the extension: the launcher's bookkeeping, one slot per coordinator
// worker (read by the assignment_v3.workers view), the circuit breaker, the per-restaurant
// rate-limit buckets, the inventory and schedule generations that invalidate workers' caches,
// and which worker keeps which restaurant.
//
// Allocated only when the library is in shared_preload_libraries; everything here degrades
// gracefully (no workers, no shared rate limit) when it is not.
#pragma once

#include "core/circuit_breaker.hpp"
#include "core/types.hpp"
#include "core/rate_schedule.hpp"
#include "pg/settings.hpp"
#include "pg/postgres.hpp"

namespace av3::pg {

enum class WorkerState : std::uint8_t {
    Free,        // slot unused
    Starting,    // registered by the launcher, not yet running
    Idle,        // sleeping on its latch
    Processing,  // running a batch
    Backoff,     // sleeping after an error
    Paused,      // not serving: a restore runs, or library and extension versions disagree
};

const char* worker_state_name(WorkerState state);

constexpr int kLastErrorBytes = 256;

struct WorkerCounters {
    std::uint64_t batches = 0;
    std::uint64_t invocations = 0;
    std::uint64_t confirmed = 0;
    std::uint64_t retried = 0;
    std::uint64_t manual_review = 0;
    std::uint64_t noop = 0;
    std::uint64_t errors = 0;
    std::uint64_t legacy = 0;  // bookings served by the legacy planner
    std::uint64_t shadow_plans = 0;
};

struct WorkerSlot {
    WorkerState state;
    pid_t pid;                 // 0 until the worker runs
    PGPROC* proc;              // for SetLatch from other backends
    pid_t launcher_pid;        // the launcher that started it; a worker outliving it exits
    std::uint32_t generation;  // bumped each time the slot is reused
    bool stop_requested;       // the launcher wants fewer workers: exit at the next loop
    TimestampTz started_at;
    TimestampTz config_loaded_at;  // when it last read the configuration (start or reload)
    TimestampTz last_batch_at;
    WorkerCounters counters;
    bool has_current_booking;
    pg_uuid_t current_booking;
    TimestampTz last_error_at;
    char last_error[kLastErrorBytes];
};

constexpr int kRateSchedules = 4096;
// Per-restaurant words (schedule generations, keepers) are hashed into this many slots.
constexpr int kRestaurantSlots = 4096;

struct RateScheduleEntry {
    bool used;
    pg_uuid_t restaurant_id;
    RateSchedule schedule;
};

// A change of the circuit breaker, kept until its event (coordinator.circuit_open or
// coordinator.circuit_closed) is written by a transaction that committed: the change happens
// when the work that caused it commits, which is too late to write anything in that
// transaction, so the next batch, whoever runs it, writes the event.
struct BreakerChange {
    CircuitChange change;
    bool after_probe;     // opened because the half-open probe failed (else: the threshold)
    std::uint64_t trips;  // trips after the change
    TimestampTz at;
};
constexpr int kBreakerChangeLog = 16;

// The policies shared by every process (policy_lock).
struct PolicyState {
    CircuitBreaker breaker;
    BreakerChange breaker_changes[kBreakerChangeLog];  // the last ones, by sequence % size
    std::uint64_t breaker_changes_made;
    std::uint64_t breaker_changes_recorded;  // those whose event has committed
    pid_t breaker_recorder;                  // the backend writing their events now, or 0
    RateScheduleEntry rate_schedules[kRateSchedules];
};

// What the launcher knows about the extension in assignment_v3.database.
enum class ExtensionPresence : std::uint8_t {
    Unknown,  // not yet probed (or CREATE EXTENSION just ran): start one worker to find out
    Missing,  // a worker found no extension: wait for CREATE EXTENSION
    Present,
};

enum class LauncherState : std::uint8_t {
    NotRunning,
    WaitingForDatabase,   // assignment_v3.database does not exist
    WaitingForExtension,  // the extension is not created there
    Running,
    Paused,  // assignment_v3.paused: no worker runs
};

// A session restoring a dump into a database (docs/operations.md, "Backup and restore"): while
// one is connected, the workers of that database pause.
struct RestoreSession {
    pid_t pid;  // 0: free
    Oid database;
};
constexpr int kMaxRestoreSessions = 64;
constexpr int kVersionBytes = 32;

const char* launcher_state_name(LauncherState state);

// The kill switch as the processes know it (the table assignment_v3_internal.kill_switch is
// the record; shared memory starts Unknown after a restart, until a batch reads the table).
enum class KillSwitchState : std::uint8_t { Unknown, Clear, Tripped };

struct SharedState {
    LWLock* lock;         // launcher fields, worker slots, restore sessions, versions
    LWLock* policy_lock;  // circuit breaker and rate buckets
    pid_t launcher_pid;
    PGPROC* launcher_proc;
    LauncherState launcher_state;
    ExtensionPresence extension;
    // Bumped when CREATE EXTENSION or ALTER EXTENSION UPDATE commits: a worker that found no
    // extension reports so only if no attach happened since it looked.
    std::uint32_t attach_generation;
    // The version installed in assignment_v3.database as the workers last read it, and whether
    // it differs from the library's (the workers then wait for ALTER EXTENSION UPDATE).
    bool version_mismatch;
    char installed_version[kVersionBytes];
    RestoreSession restores[kMaxRestoreSessions];
    KillSwitchState kill_switch;
    TimestampTz kill_switch_cleared_at;  // the gate judges only what came after it
    TimestampTz launcher_started_at;
    WorkerSlot workers[settings::kMaxParallelLimit];
    pg_atomic_uint64 inventory_generation;
    // Per restaurant (hashed into slots) and for all restaurants: bumped when a transaction
    // that changed table assignments commits; the backends' schedule caches compare them
    // (pg/schedule_cache.hpp).
    pg_atomic_uint64 schedule_generations[kRestaurantSlots];
    pg_atomic_uint64 schedules_generation;
    // Per restaurant (hashed into slots like the generations): the worker that keeps it, and
    // until when (core/restaurant_share.hpp; 0: nobody).
    pg_atomic_uint64 restaurant_keepers[kRestaurantSlots];
    PolicyState policies;
};

// Null when the library was not preloaded.
SharedState* shared_state();

// Hooks installed by _PG_init.
void install_shared_memory_hooks();

// Wakes the launcher (a reload, CREATE EXTENSION, a worker that found no extension).
void wake_launcher();

// Sets the latch of every worker (after commit of new or rescheduled bookings).
void wake_workers();

// This process's worker slot, when it is a worker (set by the worker at start; -1 otherwise).
void set_my_worker_slot(int slot);
int my_worker_slot();
// Shows the booking this worker is deciding in the workers view (null: none).
void set_current_booking(const Uuid* booking_id);

// The extension was created or updated in a database and the transaction committed: the
// launcher looks again (workers that found it missing a moment ago may have looked too early).
void extension_attached();
std::uint32_t attach_generation();

// Restores (see RestoreSession). register_restore_session() is idempotent per backend; the
// registration ends when the backend exits.
void register_restore_session();
bool restore_in_progress(Oid database);

// Invalidates every worker's inventory and rollout caches.
void bump_inventory_generation();
std::uint64_t inventory_generation();

// The schedule generations (pg/schedule_cache.hpp); nothing when shared memory is not there
// (the library was not preloaded): no cache can then be trusted.
std::optional<std::uint64_t> schedule_generation(const Uuid& restaurant_id);
// Bumps the restaurant's generation; returns the value before.
std::optional<std::uint64_t> bump_schedule_generation(const Uuid& restaurant_id);
std::optional<std::uint64_t> schedules_generation();
void bump_schedules_generation();

// The worker slot keeping the restaurant at `now` (core/restaurant_share.hpp), if any; nobody
// when shared memory is not there.
std::optional<int> restaurant_keeper(const Uuid& restaurant_id, Micros now);
// This worker committed work for the restaurants at `now`: it keeps each of them for
// kKeepRestaurantFor.
void keep_restaurants(const std::vector<Uuid>& restaurant_ids, Micros now);

}  // namespace av3::pg
