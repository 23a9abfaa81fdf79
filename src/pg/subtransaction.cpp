#include "pg/subtransaction.hpp"

namespace av3::pg::detail {

SubtransactionFrame begin_subtransaction() {
    SubtransactionFrame frame{CurrentMemoryContext, CurrentResourceOwner};
    pg_call([] { BeginInternalSubTransaction(nullptr); });
    // Keep allocating where the caller did: results must survive the subtransaction.
    MemoryContextSwitchTo(frame.context);
    return frame;
}

void commit_subtransaction(const SubtransactionFrame& frame) {
    pg_call([] { ReleaseCurrentSubTransaction(); });
    MemoryContextSwitchTo(frame.context);
    CurrentResourceOwner = frame.owner;
}

void rollback_subtransaction(const SubtransactionFrame& frame) {
    pg_call([] { RollbackAndReleaseCurrentSubTransaction(); });
    MemoryContextSwitchTo(frame.context);
    CurrentResourceOwner = frame.owner;
}

bool must_propagate(int sqlstate) {
    // Cancellation (statement_timeout, pg_cancel_backend) and termination belong to the
    // caller: swallowing them would make the batch uninterruptible.
    return sqlstate == ERRCODE_QUERY_CANCELED || sqlstate == ERRCODE_ADMIN_SHUTDOWN ||
           sqlstate == ERRCODE_CRASH_SHUTDOWN || sqlstate == ERRCODE_OUT_OF_MEMORY;
}

}  // namespace av3::pg::detail
