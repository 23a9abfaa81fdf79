// The launcher (docs/architecture.md §1): one static background worker that keeps the number of
// coordinator workers equal to what the mode needs, starting and stopping dynamic workers within
// about a second of a reload, and restarting a worker that died after a bounded backoff.
//
// It connects to no particular database (as Postgres' logical replication launcher does), so
// that a missing assignment_v3.database is a state it waits in, with one log line, rather than
// a connection failure and a crash loop. Whether the extension exists in that database is
// found out by the workers, which connect there: a worker that finds no extension says so in
// shared memory and leaves; the launcher then waits until CREATE EXTENSION (which calls
// assignment_v3_internal.attach_workers()) or a periodic re-probe says otherwise.
#include "pg/settings.hpp"
#include "pg/shared_state.hpp"
#include "pg/worker.hpp"

extern "C" {
#include "access/genam.h"
#include "access/table.h"
#include "catalog/pg_database.h"
#include "utils/fmgroids.h"
#include "utils/relcache.h"
#include "postmaster/interrupt.h"
#include "utils/wait_event.h"
}

namespace av3::pg {

namespace {

constexpr long kLoopMs = 1000;
constexpr long kWaitingForDatabaseMs = 5000;
constexpr TimestampTz kReprobeExtensionUs = 30 * USECS_PER_SEC;
constexpr TimestampTz kRestartBaseUs = 500 * 1000;
constexpr TimestampTz kRestartMaxUs = 30 * USECS_PER_SEC;
constexpr TimestampTz kHealthyRunUs =
    30 * USECS_PER_SEC;  // a worker that ran this long resets the backoff
constexpr TimestampTz kStopGraceUs = 10 * USECS_PER_SEC;  // then a stopping worker is terminated

// The launcher's own bookkeeping per slot (handles are process-local).
struct LocalSlot {
    BackgroundWorkerHandle* handle = nullptr;
    TimestampTz started_at = 0;
    TimestampTz stop_requested_at = 0;
    TimestampTz next_start_at = 0;
    int failures = 0;
};

LocalSlot g_slots[settings::kMaxParallelLimit];
TimestampTz g_missing_since = 0;
bool g_warned_no_slots = false;

void log_state_once(LauncherState state) {
    LWLockAcquire(shared_state()->lock, LW_EXCLUSIVE);
    const bool changed = shared_state()->launcher_state != state;
    shared_state()->launcher_state = state;
    LWLockRelease(shared_state()->lock);
    if (!changed) {
        return;  // one line per change of state, however long the wait
    }
    if (state == LauncherState::WaitingForDatabase) {
        ereport(
            LOG,
            (errmsg("assignment_v3 launcher: database \"%s\" does not exist; waiting for it",
                    settings::database),
             errhint(
                 "Create the database, or set assignment_v3.database and restart the server.")));
    } else if (state == LauncherState::WaitingForExtension) {
        ereport(LOG, (errmsg("assignment_v3 launcher: waiting for CREATE EXTENSION assignment_v3 "
                             "in database \"%s\"",
                             settings::database)));
    } else if (state == LauncherState::Running) {
        ereport(LOG,
                (errmsg("assignment_v3 launcher: serving database \"%s\"", settings::database)));
    } else if (state == LauncherState::Paused) {
        ereport(LOG, (errmsg("assignment_v3 launcher: paused (assignment_v3.paused = on): no "
                             "worker runs in database \"%s\"",
                             settings::database)));
    }
}

// Looks pg_database up the way InitPostgres does: without a database selected, the relcache
// may not have the shared catalogs' indexes yet, so the scan falls back to a heap scan.
bool database_exists() {
    StartTransactionCommand();
    Relation relation = table_open(DatabaseRelationId, AccessShareLock);
    ScanKeyData key;
    ScanKeyInit(&key, Anum_pg_database_datname, BTEqualStrategyNumber, F_NAMEEQ,
                CStringGetDatum(settings::database));
    SysScanDesc scan = systable_beginscan(relation, DatabaseNameIndexId,
                                          criticalSharedRelcachesBuilt, nullptr, 1, &key);
    const bool exists = HeapTupleIsValid(systable_getnext(scan));
    systable_endscan(scan);
    table_close(relation, AccessShareLock);
    CommitTransactionCommand();
    return exists;
}

bool start_worker(int i) {
    SharedState* state = shared_state();
    std::uint32_t generation = 0;
    LWLockAcquire(state->lock, LW_EXCLUSIVE);
    WorkerSlot& slot = state->workers[i];
    generation = slot.generation + 1;
    memset(static_cast<void*>(&slot), 0, sizeof slot);
    slot.generation = generation;
    slot.state = WorkerState::Starting;
    slot.launcher_pid = MyProcPid;
    LWLockRelease(state->lock);

    BackgroundWorker worker;
    memset(&worker, 0, sizeof worker);
    worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
    worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
    worker.bgw_restart_time = BGW_NEVER_RESTART;  // the launcher restarts, with its own backoff
    strlcpy(worker.bgw_library_name, "assignment_v3", BGW_MAXLEN);
    strlcpy(worker.bgw_function_name, "av3_worker_main", BGW_MAXLEN);
    snprintf(worker.bgw_name, BGW_MAXLEN, "assignment_v3 worker %d", i);
    strlcpy(worker.bgw_type, kWorkerType, BGW_MAXLEN);
    worker.bgw_main_arg = Int32GetDatum(i);
    memcpy(worker.bgw_extra, &generation, sizeof generation);
    worker.bgw_notify_pid = MyProcPid;

    MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);
    const bool ok = RegisterDynamicBackgroundWorker(&worker, &g_slots[i].handle);
    MemoryContextSwitchTo(old);
    if (!ok) {
        LWLockAcquire(state->lock, LW_EXCLUSIVE);
        state->workers[i].state = WorkerState::Free;
        LWLockRelease(state->lock);
        g_slots[i].handle = nullptr;
        if (!g_warned_no_slots) {
            g_warned_no_slots = true;
            ereport(
                WARNING,
                (errmsg(
                     "assignment_v3 launcher could not start worker %d: no background worker slot "
                     "is free",
                     i),
                 errhint(
                     "Raise max_worker_processes above assignment_v3.max_parallel plus the other "
                     "background workers, and restart the server.")));
        }
        return false;
    }
    g_warned_no_slots = false;
    g_slots[i].started_at = GetCurrentTimestamp();
    g_slots[i].stop_requested_at = 0;
    return true;
}

// Asks a worker to leave at its next loop; terminates it if it has not after a grace period.
void stop_worker(int i, TimestampTz now) {
    LocalSlot& local = g_slots[i];
    if (local.handle == nullptr) {
        return;
    }
    if (local.stop_requested_at == 0) {
        local.stop_requested_at = now;
        LWLockAcquire(shared_state()->lock, LW_EXCLUSIVE);
        WorkerSlot& slot = shared_state()->workers[i];
        slot.stop_requested = true;
        PGPROC* proc = slot.proc;
        LWLockRelease(shared_state()->lock);
        if (proc != nullptr) {
            SetLatch(&proc->procLatch);
        }
    } else if (now - local.stop_requested_at > kStopGraceUs) {
        TerminateBackgroundWorker(local.handle);
    }
}

// Forgets workers that have exited; schedules restarts of those that were not asked to stop.
void reap_workers(TimestampTz now) {
    for (int i = 0; i < settings::kMaxParallelLimit; ++i) {
        LocalSlot& local = g_slots[i];
        if (local.handle == nullptr) {
            continue;
        }
        pid_t pid = 0;
        const BgwHandleStatus status = GetBackgroundWorkerPid(local.handle, &pid);
        if (status == BGWH_POSTMASTER_DIED) {
            proc_exit(1);
        }
        if (status != BGWH_STOPPED) {
            continue;
        }
        pfree(local.handle);
        local.handle = nullptr;
        LWLockAcquire(shared_state()->lock, LW_EXCLUSIVE);
        shared_state()->workers[i].state = WorkerState::Free;
        shared_state()->workers[i].pid = 0;
        shared_state()->workers[i].proc = nullptr;
        LWLockRelease(shared_state()->lock);
        if (local.stop_requested_at != 0) {
            local.stop_requested_at = 0;
            local.failures = 0;
            local.next_start_at = 0;
            continue;
        }
        local.failures = now - local.started_at >= kHealthyRunUs ? 1 : local.failures + 1;
        TimestampTz delay = kRestartBaseUs;
        for (int k = 1; k < local.failures && delay < kRestartMaxUs; ++k) {
            delay *= 2;
        }
        local.next_start_at = now + std::min(delay, kRestartMaxUs);
    }
}

void stop_all(TimestampTz now) {
    for (int i = 0; i < settings::kMaxParallelLimit; ++i) {
        stop_worker(i, now);
    }
}

// Keeps exactly `wanted` workers (slots 0..wanted-1); returns the next time a restart is due.
TimestampTz reconcile(int wanted, TimestampTz now) {
    TimestampTz next_due = 0;
    for (int i = 0; i < settings::kMaxParallelLimit; ++i) {
        LocalSlot& local = g_slots[i];
        if (i >= wanted) {
            stop_worker(i, now);
            continue;
        }
        if (local.handle != nullptr) {
            continue;  // running (or, if asked to stop, leaving: started anew once it has left)
        }
        if (local.next_start_at > now) {
            next_due =
                next_due == 0 ? local.next_start_at : std::min(next_due, local.next_start_at);
            continue;
        }
        if (!start_worker(i)) {
            local.next_start_at = now + kRestartMaxUs;
        }
    }
    return next_due;
}

void launcher_exit(int /*code*/, Datum /*arg*/) {
    SharedState* state = shared_state();
    if (state == nullptr) {
        return;
    }
    for (LocalSlot& local : g_slots) {
        if (local.handle != nullptr) {
            TerminateBackgroundWorker(local.handle);
        }
    }
    LWLockAcquire(state->lock, LW_EXCLUSIVE);
    state->launcher_pid = 0;
    state->launcher_proc = nullptr;
    state->launcher_state = LauncherState::NotRunning;
    LWLockRelease(state->lock);
}

}  // namespace

}  // namespace av3::pg

using namespace av3::pg;

void av3_launcher_main(Datum /*main_arg*/) {
    pqsignal(SIGHUP, SignalHandlerForConfigReload);
    pqsignal(SIGTERM, die);
    BackgroundWorkerUnblockSignals();

    SharedState* state = shared_state();
    LWLockAcquire(state->lock, LW_EXCLUSIVE);
    state->launcher_pid = MyProcPid;
    state->launcher_proc = MyProc;
    state->launcher_started_at = GetCurrentTimestamp();
    state->launcher_state = LauncherState::NotRunning;
    state->extension = ExtensionPresence::Unknown;
    LWLockRelease(state->lock);
    before_shmem_exit(launcher_exit, 0);

    BackgroundWorkerInitializeConnection(nullptr, nullptr, 0);

    for (;;) {
        CHECK_FOR_INTERRUPTS();
        if (ConfigReloadPending) {
            ConfigReloadPending = false;
            ProcessConfigFile(PGC_SIGHUP);
        }
        TimestampTz now = GetCurrentTimestamp();
        reap_workers(now);
        long timeout = kLoopMs;

        if (settings::paused) {
            log_state_once(LauncherState::Paused);
            stop_all(now);
        } else if (!database_exists()) {
            log_state_once(LauncherState::WaitingForDatabase);
            stop_all(now);
            timeout = kWaitingForDatabaseMs;
        } else {
            LWLockAcquire(state->lock, LW_SHARED);
            ExtensionPresence presence = state->extension;
            LWLockRelease(state->lock);
            if (presence == ExtensionPresence::Missing) {
                if (g_missing_since == 0) {
                    g_missing_since = now;
                }
                if (now - g_missing_since >= kReprobeExtensionUs) {
                    LWLockAcquire(state->lock, LW_EXCLUSIVE);
                    state->extension = presence = ExtensionPresence::Unknown;
                    LWLockRelease(state->lock);
                }
            }
            if (presence != ExtensionPresence::Missing) {
                g_missing_since = 0;
            }
            switch (presence) {
                case ExtensionPresence::Missing:
                    log_state_once(LauncherState::WaitingForExtension);
                    stop_all(now);
                    break;
                case ExtensionPresence::Unknown:
                    // One worker finds out; the others follow once it reports the extension
                    // present.
                    reconcile(std::min(1, settings::workers_needed()), now);
                    break;
                case ExtensionPresence::Present: {
                    log_state_once(LauncherState::Running);
                    const TimestampTz due = reconcile(settings::workers_needed(), now);
                    if (due != 0) {
                        timeout = std::max(
                            1L, std::min(timeout, static_cast<long>((due - now) / 1000) + 1));
                    }
                    break;
                }
            }
        }
        (void)WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, timeout,
                        PG_WAIT_EXTENSION);
        ResetLatch(MyLatch);
    }
}
