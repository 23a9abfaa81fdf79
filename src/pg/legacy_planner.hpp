// The legacy planner, kept as it was so that the rollout can fall back to it: first fit by
// table label, single tables only, up to assignment_v3.legacy_max_attempts tries in one
// invocation (an insert that loses a race for a table tries the next free one), no state
// machine, one statement at a time. It emits auto_assign.attempt.start per attempt and one
// auto_assign.summary, and writes assignments with pipeline 'legacy'.
#pragma once

#include "pg/claim.hpp"
#include "pg/event_log.hpp"
#include "pg/invocation_result.hpp"
#include "pg/subtransaction.hpp"

namespace av3::pg {

// Serves one booking. Runs in a subtransaction of its own; on an unexpected error the booking
// is left runnable (due again after retry_backoff_base) and an error summary is recorded.
InvocationResult run_legacy_planner(const ClaimedBooking& booking, EventBuffer& events);

}  // namespace av3::pg
