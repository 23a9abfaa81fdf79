#include "pg/worker_transaction.hpp"

#include "pg/spi.hpp"

extern "C" {
#include "utils/timeout.h"
}

namespace av3::pg::detail {

namespace {

struct BodyCall {
    const TransactionOptions* options;
    void (*body)(void*);
    void* context;
};

// The part that runs C++: inside cpp_entry, so that a C++ exception becomes a Postgres error
// raised after every C++ object of the body is gone.
void run_body(BodyCall* call) {
    cpp_entry([&] {
        if (!call->options->connect_spi) {
            call->body(call->context);
            return;
        }
        SpiConnection spi;
        call->body(call->context);
        spi.finish();
    });
}

}  // namespace

bool run_worker_transaction(const TransactionOptions& options, void (*body)(void*), void* context,
                            TransactionFailure* failure) {
    BodyCall call{&options, body, context};
    volatile bool committed = false;
    MemoryContext caller_context = CurrentMemoryContext;
    PG_TRY();
    {
        SetCurrentStatementStartTimestamp();
        StartTransactionCommand();
        // Postgres arms statement_timeout for client statements only; a worker applies it to
        // its transaction, so that one stuck in a slow trigger or a lock rolls back whole.
        if (options.statement_timeout && StatementTimeout > 0) {
            enable_timeout_after(STATEMENT_TIMEOUT, StatementTimeout);
        }
        PushActiveSnapshot(GetTransactionSnapshot());
        if (options.activity != nullptr) {
            pgstat_report_activity(STATE_RUNNING, options.activity);
        }
        run_body(&call);
        PopActiveSnapshot();
        if (options.statement_timeout) {
            disable_timeout(STATEMENT_TIMEOUT, false);
        }
        CommitTransactionCommand();
        pgstat_report_stat(false);
        committed = true;
    }
    PG_CATCH();
    {
        MemoryContextSwitchTo(caller_context);
        if (options.statement_timeout) {
            disable_timeout(STATEMENT_TIMEOUT, false);
        }
        ErrorData* error = CopyErrorData();
        EmitErrorReport();
        FlushErrorState();
        AbortCurrentTransaction();
        if (failure != nullptr) {
            failure->sqlstate = error->sqlerrcode;
            strlcpy(failure->message, error->message != nullptr ? error->message : "unknown error",
                    sizeof failure->message);
        }
        FreeErrorData(error);
    }
    PG_END_TRY();
    pgstat_report_activity(STATE_IDLE, nullptr);
    return committed;
}

}  // namespace av3::pg::detail
