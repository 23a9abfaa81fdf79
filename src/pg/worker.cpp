// A coordinator worker's life (DESIGN §2): connect to assignment_v3.database, check that the
// extension exists (else tell the launcher and leave), then loop: reload the configuration
// when asked, claim and process one batch in one transaction, and sleep on the latch when
// there is nothing due. An error rolls the batch back whole (its bookings stay runnable),
// is logged and kept in the slot, counts toward the circuit breaker, and the loop goes on
// after a short, growing pause.
#include "pg/worker.hpp"

#include "pg/batch.hpp"
#include "pg/claim.hpp"
#include "pg/retention.hpp"
#include "pg/settings.hpp"
#include "pg/shared_state.hpp"
#include "pg/spi.hpp"

extern "C" {
#include "commands/extension.h"
#include "postmaster/interrupt.h"
#include "tcop/tcopprot.h"
#include "utils/timeout.h"
#include "utils/wait_event.h"
}

namespace av3::pg {

namespace {

// Work found but held by other workers: look again soon.
constexpr long kBusyElsewhereSleepMs = 20;
constexpr long kMaxErrorSleepMs = 10000;

int g_slot = -1;
std::uint32_t g_generation = 0;

WorkerSlot& my_slot() {
    return shared_state()->workers[g_slot];
}

void set_state(WorkerState state) {
    LWLockAcquire(shared_state()->lock, LW_EXCLUSIVE);
    my_slot().state = state;
    LWLockRelease(shared_state()->lock);
}

void detach_slot(int /*code*/, Datum /*arg*/) {
    SharedState* state = shared_state();
    if (state == nullptr || g_slot < 0) {
        return;
    }
    LWLockAcquire(state->lock, LW_EXCLUSIVE);
    WorkerSlot& slot = state->workers[g_slot];
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
    const WorkerSlot& slot = state->workers[g_slot];
    const bool wanted = slot.generation == g_generation && !slot.stop_requested &&
                        state->launcher_pid == slot.launcher_pid && state->launcher_pid != 0;
    LWLockRelease(state->lock);
    return wanted;
}

struct BatchReport {
    int claimed;
    bool due_elsewhere;
    Micros next_due;  // 0: nothing scheduled
    bool extension_missing;
};

void add_counters(const BatchResult& batch) {
    LWLockAcquire(shared_state()->lock, LW_EXCLUSIVE);
    WorkerSlot& slot = my_slot();
    WorkerCounters& c = slot.counters;
    c.batches++;
    c.shadow_plans += static_cast<std::uint64_t>(batch.shadow_plans);
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
    slot.last_batch_at = GetCurrentTimestamp();
    LWLockRelease(shared_state()->lock);
}

// The body of one batch transaction, in C++ (runs inside the transaction and SPI).
BatchReport batch_body() {
    return cpp_entry([] {
        BatchReport report{0, false, 0, false};
        if (!extension_exists_here()) {
            report.extension_missing = true;
            return report;
        }
        SpiConnection spi;
        BatchResult batch = run_batch(settings::batch_size);
        report.claimed = batch.claimed;
        report.due_elsewhere = batch.due_elsewhere;
        if (batch.claimed < settings::batch_size) {
            report.next_due = next_due_after(now_micros());
        }
        spi.finish();
        set_current_booking(nullptr);
        add_counters(batch);
        return report;
    });
}

void record_error(ErrorData* error) {
    LWLockAcquire(shared_state()->lock, LW_EXCLUSIVE);
    WorkerSlot& slot = my_slot();
    strlcpy(slot.last_error, error->message != nullptr ? error->message : "unknown error",
            kLastErrorBytes);
    slot.last_error_at = GetCurrentTimestamp();
    slot.counters.errors++;
    slot.has_current_booking = false;
    LWLockRelease(shared_state()->lock);
}

// A failed batch counts toward the breaker; if that trips it, the trip is recorded in a
// transaction of its own (the batch's was rolled back).
void record_batch_failure_in_new_transaction() {
    const CircuitChange change = record_batch_failure(GetCurrentTimestamp());
    if (change == CircuitChange::None) {
        return;
    }
    PG_TRY();
    {
        StartTransactionCommand();
        PushActiveSnapshot(GetTransactionSnapshot());
        cpp_entry([&] {
            SpiConnection spi;
            record_circuit_change(change, "error_threshold");
            spi.finish();
        });
        PopActiveSnapshot();
        CommitTransactionCommand();
    }
    PG_CATCH();
    {
        EmitErrorReport();
        FlushErrorState();
        AbortCurrentTransaction();
    }
    PG_END_TRY();
}

// What the loop does after a batch transaction.
struct LoopStep {
    enum Kind { Go, Failed, ExtensionGone } kind;
    long sleep_ms;  // before the next batch; 0: at once
};

LoopStep sleep_after(const BatchReport& report) {
    if (report.extension_missing) {
        return LoopStep{LoopStep::ExtensionGone, 0};
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

// Runs one batch transaction. On error the transaction is rolled back here, the error logged
// and kept in the slot, and the next batch waits a little longer each time (up to 10 s).
LoopStep run_one_batch(int consecutive_errors) {
    volatile LoopStep::Kind kind = LoopStep::Go;
    volatile long sleep_ms = 0;
    MemoryContext loop_context = CurrentMemoryContext;
    PG_TRY();
    {
        SetCurrentStatementStartTimestamp();
        StartTransactionCommand();
        // Postgres arms statement_timeout for client statements only; a worker applies it to
        // each batch, so that a batch stuck in a slow trigger or lock rolls back whole.
        if (StatementTimeout > 0) {
            enable_timeout_after(STATEMENT_TIMEOUT, StatementTimeout);
        }
        PushActiveSnapshot(GetTransactionSnapshot());
        pgstat_report_activity(STATE_RUNNING, "assignment_v3: claiming and assigning bookings");
        set_state(WorkerState::Processing);
        const BatchReport report = batch_body();
        PopActiveSnapshot();
        disable_timeout(STATEMENT_TIMEOUT, false);
        CommitTransactionCommand();
        pgstat_report_stat(false);
        pgstat_report_activity(STATE_IDLE, nullptr);
        const LoopStep step = sleep_after(report);
        kind = step.kind;
        sleep_ms = step.sleep_ms;
    }
    PG_CATCH();
    {
        MemoryContextSwitchTo(loop_context);
        disable_timeout(STATEMENT_TIMEOUT, false);
        ErrorData* error = CopyErrorData();
        EmitErrorReport();
        FlushErrorState();
        AbortCurrentTransaction();
        record_error(error);
        FreeErrorData(error);
        record_batch_failure_in_new_transaction();
        pgstat_report_activity(STATE_IDLE, nullptr);
        kind = LoopStep::Failed;
        sleep_ms = std::min<long>(kMaxErrorSleepMs, 100L << std::min(consecutive_errors, 7));
    }
    PG_END_TRY();
    return LoopStep{kind, sleep_ms};
}

// One retention batch in a transaction of its own (worker 0 only). Returns when to look again:
// at once if it deleted a full batch, else after retention_interval(). Errors are logged and
// retried later; retention never stops the assignment work.
TimestampTz run_retention() {
    volatile bool more = false;
    MemoryContext loop_context = CurrentMemoryContext;
    PG_TRY();
    {
        SetCurrentStatementStartTimestamp();
        StartTransactionCommand();
        PushActiveSnapshot(GetTransactionSnapshot());
        pgstat_report_activity(STATE_RUNNING, "assignment_v3: deleting expired events");
        more = cpp_entry([] {
            SpiConnection spi;
            const PurgeResult purged = purge_expired(kRetentionBatch);
            spi.finish();
            return purged.more;
        });
        PopActiveSnapshot();
        CommitTransactionCommand();
        pgstat_report_activity(STATE_IDLE, nullptr);
    }
    PG_CATCH();
    {
        MemoryContextSwitchTo(loop_context);
        EmitErrorReport();
        FlushErrorState();
        AbortCurrentTransaction();
        pgstat_report_activity(STATE_IDLE, nullptr);
    }
    PG_END_TRY();
    return GetCurrentTimestamp() + (more ? 0 : retention_interval());
}

void mark_extension(ExtensionPresence presence) {
    LWLockAcquire(shared_state()->lock, LW_EXCLUSIVE);
    shared_state()->extension = presence;
    LWLockRelease(shared_state()->lock);
    wake_launcher();
}

}  // namespace

bool extension_exists_here() {
    return pg_call([] { return OidIsValid(get_extension_oid("assignment_v3", true)); });
}

}  // namespace av3::pg

using namespace av3::pg;

void av3_worker_main(Datum main_arg) {
    g_slot = DatumGetInt32(main_arg);
    memcpy(&g_generation, MyBgworkerEntry->bgw_extra, sizeof g_generation);
    pqsignal(SIGHUP, SignalHandlerForConfigReload);
    pqsignal(SIGTERM, die);
    BackgroundWorkerUnblockSignals();

    SharedState* state = shared_state();
    if (state == nullptr || g_slot < 0 || g_slot >= settings::kMaxParallelLimit) {
        proc_exit(0);
    }
    LWLockAcquire(state->lock, LW_EXCLUSIVE);
    WorkerSlot& slot = state->workers[g_slot];
    if (slot.generation != g_generation) {
        LWLockRelease(state->lock);
        proc_exit(0);  // the launcher gave the slot away before we started
    }
    slot.pid = MyProcPid;
    slot.proc = MyProc;
    set_my_worker_slot(g_slot);
    slot.started_at = GetCurrentTimestamp();
    slot.config_loaded_at = slot.started_at;
    slot.state = WorkerState::Idle;
    LWLockRelease(state->lock);
    before_shmem_exit(detach_slot, 0);

    BackgroundWorkerInitializeConnection(settings::database,
                                         settings::role[0] != '\0' ? settings::role : nullptr, 0);
    pgstat_report_appname(psprintf("assignment_v3 worker %d", g_slot));
    // Every statement a worker runs is a keyed lookup. Its plans are made once and kept; a plan
    // made while a table was empty (a fresh install, a worker started before a bulk load) would
    // scan the whole table once it has grown, until autovacuum's next ANALYZE. No sequential
    // scan, then, unless there is no other way.
    SetConfigOption("enable_seqscan", "off", PGC_USERSET, PGC_S_SESSION);

    StartTransactionCommand();
    const bool present = extension_exists_here();
    CommitTransactionCommand();
    if (!present) {
        mark_extension(ExtensionPresence::Missing);
        proc_exit(0);
    }
    mark_extension(ExtensionPresence::Present);
    ereport(LOG, (errmsg("assignment_v3 worker %d started in database \"%s\"", g_slot,
                         settings::database)));

    int consecutive_errors = 0;
    TimestampTz next_retention = GetCurrentTimestamp();
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
        if (g_slot == 0 && GetCurrentTimestamp() >= next_retention) {
            next_retention = run_retention();
        }
        const LoopStep step = run_one_batch(consecutive_errors);
        if (step.kind == LoopStep::ExtensionGone) {
            ereport(LOG, (errmsg("assignment_v3 worker %d stops: the extension no longer exists in "
                                 "database \"%s\"",
                                 g_slot, settings::database)));
            mark_extension(ExtensionPresence::Missing);
            break;
        }
        consecutive_errors = step.kind == LoopStep::Failed ? consecutive_errors + 1 : 0;
        long sleep_ms = step.sleep_ms;
        if (g_slot == 0 && sleep_ms > 0) {
            const long until_retention =
                static_cast<long>((next_retention - GetCurrentTimestamp()) / 1000) + 1;
            sleep_ms = std::max(0L, std::min(sleep_ms, until_retention));
        }
        if (sleep_ms > 0) {
            set_state(step.kind == LoopStep::Failed ? WorkerState::Backoff : WorkerState::Idle);
            (void)WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, sleep_ms,
                            PG_WAIT_EXTENSION);
            ResetLatch(MyLatch);
        }
    }
    proc_exit(0);
}
