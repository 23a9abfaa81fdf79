// Announces decided bookings with NOTIFY on channel assignment_v3 (docs/architecture.md,
// "Announcing decisions"; the payload: core/decision_notice.hpp). Called by BookingWriter, the
// one writer, once its writes have landed, so every path that decides (the V3 workers, the
// legacy planner, the operator functions, process_pending) announces the same way.
//
// NOTIFY is transactional: Postgres delivers the notifications when the transaction commits,
// drops those of a subtransaction that rolls back, and makes every notifying commit wait its
// turn for the notification queue. A worker's batch is one transaction, so it pays that turn
// once however many bookings it announces.
#pragma once

#include <vector>

#include "pg/booking_writes.hpp"

namespace av3::pg {

// True for a write that decides a booking: it becomes confirmed, goes to manual review, or is
// cancelled by the extension (an application's own writes are not announced back to it).
bool announces_decision(const BookingWrite& write, TransitionCause cause);

// Queues one notification per deciding write (nothing when assignment_v3.notify is off).
void announce_decisions(const std::vector<BookingWrite*>& writes, TransitionCause cause);

}  // namespace av3::pg
