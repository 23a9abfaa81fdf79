// Claiming due bookings (docs/architecture.md §1): restaurants first, then their bookings.
//
// 1. Read the next due bookings (by next_attempt_at, a bounded window of ids) and group them
//    by restaurant, oldest first.
// 2. Keep the restaurants whose pipeline is on (and, for V3, whose circuit admits work) and
//    whose advisory lock this transaction gets without waiting; stop at the batch size.
// 3. Claim those bookings by primary key, `FOR UPDATE SKIP LOCKED` (a booking changed since
//    step 1 and no longer due is left out).
// Steps 1 and 3 read the queue directly where that is what their statements would read
// (pg/queue_scan.hpp), and run the statements otherwise; both have one plan that fits any size
// of the queue: an ordered scan of bookings_due_idx, and primary-key look-ups
// (docs/architecture.md, "Plans").
// Workers thus split the restaurants between them instead of fighting over rows, and no
// booking is claimed that this transaction cannot process.
#pragma once

#include "core/circuit_breaker.hpp"
#include "core/invocation.hpp"
#include "core/rollout.hpp"
#include "pg/restaurant_cache.hpp"

namespace av3::pg {

struct ClaimedBooking {
    Uuid restaurant_id;
    BookingView view;
    std::string last_reason;
    PipelineMode mode = PipelineMode::Off;
    // Why that pipeline: "override" (restaurant_rollout), "percentage" or "forced"
    // (assign_booking()).
    std::string_view rollout = "percentage";
};

struct ClaimRequest {
    int limit = 100;
    Admission v3_admission = Admission::Allow;
    Micros now = 0;
};

struct ClaimResult {
    std::vector<ClaimedBooking> bookings;
    // Due bookings were seen whose restaurants another transaction is serving: worth looking
    // again soon rather than sleeping a full poll interval.
    bool due_elsewhere = false;
    // Whether a V3 booking was claimed under a half-open probe admission.
    bool probe_used = false;
};

// Step 1 and 2: which restaurants this transaction serves now, their advisory locks taken.
struct ClaimPlan {
    std::vector<Uuid> restaurants;
    std::vector<PipelineMode> modes;  // per restaurant
    std::vector<Uuid> bookings;       // to claim, in the order to decide them
    bool due_elsewhere = false;
    Admission v3_admission = Admission::Allow;
    Micros now = 0;

    bool empty() const { return restaurants.empty(); }
};
ClaimPlan plan_claim(const ClaimRequest& request);

// Step 3: the due bookings of those restaurants, locked FOR UPDATE SKIP LOCKED.
ClaimResult claim_bookings(const ClaimPlan& plan);

// Locks one booking row (waiting for it) and reads it; nullopt when it does not exist.
std::optional<ClaimedBooking> lock_booking(const Uuid& booking_id);

// The earliest next_attempt_at after `now` among runnable bookings (0 when none).
Micros next_due_after(Micros now);

}  // namespace av3::pg
