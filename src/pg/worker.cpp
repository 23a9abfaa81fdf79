// A coordinator worker's life (docs/architecture.md, "Processes"): connect to
// assignment_v3.database with a pinned search_path, check that the extension exists (else tell
// the launcher and leave), then loop: reload the configuration when asked, and run one batch
// transaction: it first checks that the installed extension is the library's version and that
// no restore is running (else the worker waits), then claims and processes bookings. The
// worker sleeps on its latch when nothing is due. An error rolls the batch back whole (its
// bookings stay runnable), is logged and kept in the slot, counts toward the circuit breaker,
// and the loop goes on after a short, growing pause.
#include "pg/worker.hpp"

#include "pg/batch.hpp"
#include "pg/claim.hpp"
#include "pg/extension_version.hpp"
#include "pg/kill_switch.hpp"
#include "pg/retention.hpp"
#include "pg/settled_seatings.hpp"
#include "pg/settings.hpp"
#include "pg/shared_state.hpp"
#include "pg/spi.hpp"
#include "pg/worker_transaction.hpp"

extern "C" {
#include "postmaster/interrupt.h"
#include "tcop/tcopprot.h"
#include "utils/wait_event.h"
}

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace av3::pg {

namespace {

// Work found but held by other workers: look again soon.
constexpr long kBusyElsewhereSleepMs = 20;
constexpr long kMaxErrorSleepMs = 10000;
// How often worker 0 looks at the rollout gate when the kill switch is armed.
constexpr TimestampTz kKillSwitchLookUs = USECS_PER_SEC;

std::uint32_t g_generation = 0;

// Each batch's transaction builds a few megabytes (its events' rows and jsonb, the tuples it
// writes) in memory contexts deleted at commit. With glibc's defaults, the blocks freed then go
// back to the kernel (large ones unmapped, the heap's top trimmed), and the next batch faults
// every page in again, zeroed: in a worker's profile, 7 % of its time in page faults and 1.4 %
// in brk(). A worker keeps what it freed instead, up to the sizes below; its resident memory is
// then the largest batch's, which the benchmark measures (section 7), until it goes idle:
// release_memory_when_idle().
void keep_memory_between_batches() {
#if defined(__GLIBC__)
    constexpr int kKeptBytes = 32 * 1024 * 1024;
    if (mallopt(M_MMAP_THRESHOLD, kKeptBytes) != 1 || mallopt(M_TRIM_THRESHOLD, kKeptBytes) != 1) {
        elog(DEBUG1, "assignment_v3: glibc refused the worker's malloc thresholds");
    }
#endif
}

// A worker about to sleep hands back what its batches kept (a large batch_size, or one
// long-lived allocation above freed blocks, would otherwise pin the peak for the worker's
// life); at most once a second, so that a worker woken for every few bookings under a steady
// load does not fault its memory in again for each batch.
void release_memory_when_idle() {
#if defined(__GLIBC__)
    static TimestampTz last_release = 0;
    const TimestampTz now = GetCurrentTimestamp();
    if (now - last_release >= USECS_PER_SEC) {
        malloc_trim(0);
        last_release = now;
    }
#endif
}

WorkerSlot& my_slot() {
    return shared_state()->workers[my_worker_slot()];
}

void set_state(WorkerState state) {
    LWLockAcquire(shared_state()->lock, LW_EXCLUSIVE);
    my_slot().state = state;
    LWLockRelease(shared_state()->lock);
}

void detach_slot(int /*code*/, Datum /*arg*/) {
    SharedState* state = shared_state();
    if (state == nullptr || my_worker_slot() < 0) {
        return;
    }
    LWLockAcquire(state->lock, LW_EXCLUSIVE);
    WorkerSlot& slot = state->workers[my_worker_slot()];
    if (slot.generation == g_generation) {
        slot.pid = 0;
        slot.proc = nullptr;
        slot.state = WorkerState::Free;
        slot.has_current_booking = false;
    }
    LWLockRelease(state->lock);
    wake_launcher();
}

// Still wanted: our launcher is alive and has not reused or released our slot.
bool still_wanted() {
    SharedState* state = shared_state();
    LWLockAcquire(state->lock, LW_SHARED);
    const WorkerSlot& slot = state->workers[my_worker_slot()];
    const bool wanted = slot.generation == g_generation && !slot.stop_requested &&
                        state->launcher_pid == slot.launcher_pid && state->launcher_pid != 0;
    LWLockRelease(state->lock);
    return wanted;
}

// Why a batch transaction did not (or did) process bookings.
enum class BatchVerdict : std::uint8_t {
    Processed,
    ExtensionMissing,
    VersionMismatch,  // waits for ALTER EXTENSION UPDATE
    Restoring,        // waits for the restore to end
};

struct BatchReport {
    BatchVerdict verdict = BatchVerdict::Processed;
    int claimed = 0;
    bool due_elsewhere = false;
    Micros next_due = 0;     // 0: nothing scheduled
    WorkerCounters counted;  // added to the slot once the batch has committed
    // Whose locks the batch took: kept by this worker once the batch has committed.
    std::vector<Uuid> restaurants;
};

WorkerCounters count_results(const BatchResult& batch) {
    WorkerCounters c;
    c.batches = 1;
    c.shadow_plans = static_cast<std::uint64_t>(batch.shadow_plans);
    for (const InvocationResult& r : batch.results) {
        c.invocations++;
        if (r.pipeline == "legacy") {
            c.legacy++;
        }
        switch (r.outcome) {
            case Outcome::Confirmed:
                c.confirmed++;
                break;
            case Outcome::Retry:
                c.retried++;
                break;
            case Outcome::ManualReview:
                c.manual_review++;
                break;
            case Outcome::Noop:
                c.noop++;
                break;
            case Outcome::Error:
                c.errors++;
                break;
        }
    }
    return c;
}

void add_counters(const WorkerCounters& delta) {
    LWLockAcquire(shared_state()->lock, LW_EXCLUSIVE);
    WorkerSlot& slot = my_slot();
    WorkerCounters& c = slot.counters;
    c.batches += delta.batches;
    c.invocations += delta.invocations;
    c.confirmed += delta.confirmed;
    c.retried += delta.retried;
    c.manual_review += delta.manual_review;
    c.noop += delta.noop;
    c.errors += delta.errors;
    c.legacy += delta.legacy;
    c.shadow_plans += delta.shadow_plans;
    slot.last_batch_at = GetCurrentTimestamp();
    slot.has_current_booking = false;
    LWLockRelease(shared_state()->lock);
}

// Records the installed version in shared memory; logs once when the library and the
// extension start or stop disagreeing (every worker checks, one line is written).
void report_installed_version(const std::string& installed) {
    SharedState* state = shared_state();
    const bool mismatch = installed != kLibraryVersion;
    LWLockAcquire(state->lock, LW_EXCLUSIVE);
    const bool changed = state->version_mismatch != mismatch;
    state->version_mismatch = mismatch;
    strlcpy(state->installed_version, installed.c_str(), kVersionBytes);
    LWLockRelease(state->lock);
    if (!changed) {
        return;
    }
    if (mismatch) {
        report(LOG,
               "assignment_v3 workers wait: the library is version " +
                   std::string(kLibraryVersion) + ", the extension installed in database \"" +
                   settings::database + "\" is " + installed,
               "Run ALTER EXTENSION assignment_v3 UPDATE in that database; the workers resume "
               "within a second of it.");
    } else {
        report(LOG, "assignment_v3 workers resume: the extension in database \"" +
                        std::string(settings::database) + "\" is version " + installed);
    }
}

// Is this database's extension one the workers can serve right now?
BatchVerdict check_service() {
    const std::optional<std::string> installed = installed_version();
    if (!installed) {
        return BatchVerdict::ExtensionMissing;
    }
    report_installed_version(*installed);
    if (*installed != kLibraryVersion) {
        return BatchVerdict::VersionMismatch;
    }
    if (pg_call([] { return restore_in_progress(MyDatabaseId); })) {
        return BatchVerdict::Restoring;
    }
    return BatchVerdict::Processed;
}

// The body of one batch transaction.
BatchReport batch_body() {
    BatchReport report;
    report.verdict = check_service();
    if (report.verdict != BatchVerdict::Processed) {
        return report;
    }
    BatchResult batch = run_batch(settings::batch_size);
    report.claimed = batch.claimed;
    report.due_elsewhere = batch.due_elsewhere;
    if (batch.claimed < settings::batch_size) {
        report.next_due = next_due_after(now_micros());
    }
    report.counted = count_results(batch);
    report.restaurants = std::move(batch.restaurants);
    return report;
}

void record_error(const TransactionFailure& failure) {
    LWLockAcquire(shared_state()->lock, LW_EXCLUSIVE);
    WorkerSlot& slot = my_slot();
    strlcpy(slot.last_error, failure.message, kLastErrorBytes);
    slot.last_error_at = GetCurrentTimestamp();
    slot.counters.errors++;
    slot.has_current_booking = false;
    LWLockRelease(shared_state()->lock);
}

// What the loop does after a batch transaction.
struct LoopStep {
    enum Kind { Go, Failed, Waiting, ExtensionGone } kind;
    long sleep_ms;  // before the next batch; 0: at once
};

LoopStep sleep_after(const BatchReport& report) {
    switch (report.verdict) {
        case BatchVerdict::ExtensionMissing:
            return LoopStep{LoopStep::ExtensionGone, 0};
        case BatchVerdict::VersionMismatch:
        case BatchVerdict::Restoring:
            return LoopStep{LoopStep::Waiting, settings::poll_interval_ms};
        case BatchVerdict::Processed:
            break;
    }
    if (report.claimed > 0) {
        return LoopStep{LoopStep::Go, 0};  // a partial batch too: look once more before sleeping
    }
    if (report.due_elsewhere) {
        return LoopStep{LoopStep::Go,
                        std::min<long>(kBusyElsewhereSleepMs, settings::poll_interval_ms)};
    }
    long sleep_ms = settings::poll_interval_ms;
    if (report.next_due != 0) {
        const long until_due =
            static_cast<long>((report.next_due - GetCurrentTimestamp()) / 1000) + 1;
        sleep_ms = std::max(1L, std::min(sleep_ms, until_due));
    }
    return LoopStep{LoopStep::Go, sleep_ms};
}

// Runs one batch transaction. On error it was rolled back and logged; the error is kept in the
// slot and the next batch waits a little longer each time (up to 10 s).
LoopStep run_one_batch(int consecutive_errors) {
    set_state(WorkerState::Processing);
    BatchReport report;
    TransactionFailure failure;
    const bool committed = run_worker_transaction(
        {"assignment_v3: claiming and assigning bookings", true}, [&] { report = batch_body(); },
        &failure);
    if (committed) {
        if (report.verdict == BatchVerdict::Processed) {
            add_counters(report.counted);
            keep_restaurants(report.restaurants, GetCurrentTimestamp());
        }
        return sleep_after(report);
    }
    record_error(failure);
    count_batch_failure(GetCurrentTimestamp());  // a trip is recorded by the next batch
    return LoopStep{LoopStep::Failed,
                    std::min<long>(kMaxErrorSleepMs, 100L << std::min(consecutive_errors, 7))};
}

// One retention batch and one settle pass (pg/settled_seatings.hpp) in a transaction of its own
// (worker 0 only), unless the workers wait. Returns when to look again: at once if either did a
// full batch, else after retention_interval(). Errors are logged and retried later; retention never
// stops the assignment work.
TimestampTz run_retention() {
    bool more = false;
    run_worker_transaction({"assignment_v3: deleting expired events, settling seatings"}, [&] {
        if (check_service() == BatchVerdict::Processed) {
            more = purge_expired(kRetentionBatch).more;
            more = settle_ended_seatings(kSettleBatch).more || more;
        }
    });
    return GetCurrentTimestamp() + (more ? 0 : retention_interval());
}

// The kill switch's look at the gate (worker 0, once a second, unless the workers wait). A trip
// is told to the other processes once its transaction has committed.
void run_kill_switch() {
    bool tripped = false;
    const bool committed =
        run_worker_transaction({"assignment_v3: evaluating the rollout gate"}, [&] {
            if (check_service() == BatchVerdict::Processed) {
                load_kill_switch();
                tripped = evaluate_kill_switch(now_micros());
            }
        });
    if (committed && tripped) {
        publish_trip();
    }
}

ExtensionPresence extension_presence() {
    SharedState* state = shared_state();
    LWLockAcquire(state->lock, LW_SHARED);
    const ExtensionPresence presence = state->extension;
    LWLockRelease(state->lock);
    return presence;
}

void mark_extension(ExtensionPresence presence, std::uint32_t attach_seen) {
    SharedState* state = shared_state();
    LWLockAcquire(state->lock, LW_EXCLUSIVE);
    // "Missing" is stale if the extension was attached since this worker looked.
    if (presence != ExtensionPresence::Missing || state->attach_generation == attach_seen) {
        state->extension = presence;
    }
    LWLockRelease(state->lock);
    wake_launcher();
}

// The settings every worker session runs with. search_path is empty, as in Postgres' own
// logical replication workers: every name the worker's SQL uses is schema-qualified or in
// pg_catalog, so nothing a role's search_path holds (a function shadowing a built-in, say) is
// ever resolved, whatever role the workers run as. JIT is off: every statement a worker runs is
// short, and compiling one whose estimate crosses jit_above_cost on large tables (the retention's
// delete over millions of events) took longer than running it.
void pin_session_settings() {
    SetConfigOption("search_path", "", PGC_SUSET, PGC_S_OVERRIDE);
    SetConfigOption("jit", "off", PGC_SUSET, PGC_S_OVERRIDE);
}

}  // namespace

}  // namespace av3::pg

using namespace av3::pg;

void av3_worker_main(Datum main_arg) {
    const int slot_number = DatumGetInt32(main_arg);
    memcpy(&g_generation, MyBgworkerEntry->bgw_extra, sizeof g_generation);
    keep_memory_between_batches();
    pqsignal(SIGHUP, SignalHandlerForConfigReload);
    pqsignal(SIGTERM, die);
    BackgroundWorkerUnblockSignals();

    SharedState* state = shared_state();
    if (state == nullptr || slot_number < 0 || slot_number >= settings::kMaxParallelLimit) {
        proc_exit(0);
    }
    LWLockAcquire(state->lock, LW_EXCLUSIVE);
    WorkerSlot& slot = state->workers[slot_number];
    if (slot.generation != g_generation) {
        LWLockRelease(state->lock);
        proc_exit(0);  // the launcher gave the slot away before we started
    }
    slot.pid = MyProcPid;
    slot.proc = MyProc;
    set_my_worker_slot(slot_number);
    slot.started_at = GetCurrentTimestamp();
    slot.config_loaded_at = slot.started_at;
    slot.state = WorkerState::Idle;
    LWLockRelease(state->lock);
    before_shmem_exit(detach_slot, 0);

    BackgroundWorkerInitializeConnection(settings::database,
                                         settings::role[0] != '\0' ? settings::role : nullptr, 0);
    pgstat_report_appname(psprintf("assignment_v3 worker %d", slot_number));
    pin_session_settings();

    const std::uint32_t attach_seen = attach_generation();
    bool present = false;
    if (!run_worker_transaction({"assignment_v3: looking for the extension", false, false},
                                [&] { present = installed_version().has_value(); })) {
        proc_exit(1);  // logged; the launcher starts the worker again after its backoff
    }
    if (!present) {
        mark_extension(ExtensionPresence::Missing, attach_seen);
        proc_exit(0);
    }
    mark_extension(ExtensionPresence::Present, attach_seen);
    ereport(LOG, (errmsg("assignment_v3 worker %d started in database \"%s\"", slot_number,
                         settings::database)));

    int consecutive_errors = 0;
    TimestampTz next_retention = GetCurrentTimestamp();
    TimestampTz next_gate_look = GetCurrentTimestamp();
    for (;;) {
        CHECK_FOR_INTERRUPTS();
        if (ConfigReloadPending) {
            ConfigReloadPending = false;
            ProcessConfigFile(PGC_SIGHUP);
            LWLockAcquire(shared_state()->lock, LW_EXCLUSIVE);
            my_slot().config_loaded_at = GetCurrentTimestamp();
            LWLockRelease(shared_state()->lock);
        }
        if (!still_wanted()) {
            break;
        }
        if (slot_number == 0 && GetCurrentTimestamp() >= next_retention) {
            next_retention = run_retention();
        }
        if (slot_number == 0 && settings::auto_rollback &&
            GetCurrentTimestamp() >= next_gate_look) {
            run_kill_switch();
            next_gate_look = GetCurrentTimestamp() + kKillSwitchLookUs;
        }
        const LoopStep step = run_one_batch(consecutive_errors);
        if (step.kind == LoopStep::ExtensionGone) {
            ereport(LOG, (errmsg("assignment_v3 worker %d stops: the extension no longer exists in "
                                 "database \"%s\"",
                                 slot_number, settings::database)));
            mark_extension(ExtensionPresence::Missing, attach_generation());
            break;
        }
        if (step.kind != LoopStep::Failed && extension_presence() == ExtensionPresence::Unknown) {
            // The extension was attached again (DROP and CREATE EXTENSION, in one transaction
            // perhaps) while this worker ran: the launcher keeps one worker until someone says
            // the extension is there, and this batch just found it.
            mark_extension(ExtensionPresence::Present, attach_generation());
        }
        consecutive_errors = step.kind == LoopStep::Failed ? consecutive_errors + 1 : 0;
        long sleep_ms = step.sleep_ms;
        if (slot_number == 0 && sleep_ms > 0) {
            TimestampTz next_duty = next_retention;
            if (settings::auto_rollback) {
                next_duty = std::min(next_duty, next_gate_look);
            }
            const long until_duty =
                static_cast<long>((next_duty - GetCurrentTimestamp()) / 1000) + 1;
            sleep_ms = std::max(0L, std::min(sleep_ms, until_duty));
        }
        if (sleep_ms > 0) {
            release_memory_when_idle();
            set_state(step.kind == LoopStep::Failed    ? WorkerState::Backoff
                      : step.kind == LoopStep::Waiting ? WorkerState::Paused
                                                       : WorkerState::Idle);
            (void)WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, sleep_ms,
                            PG_WAIT_EXTENSION);
            ResetLatch(MyLatch);
        }
    }
    proc_exit(0);
}
