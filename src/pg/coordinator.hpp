// The V3 coordinator (docs/architecture.md §5) over the bookings of one batch: for each booking,
// coordinator.start, the rate limit, the decision (src/core), the state transitions and
// exactly one outcome event; then the batch's writes, and error outcomes for the writes that
// failed (the booking stays runnable and is retried: nothing is lost).
#pragma once

#include "pg/booking_writes.hpp"
#include "pg/claim.hpp"
#include "pg/invocation_result.hpp"
#include "pg/restaurant_run.hpp"

namespace av3::pg {

class V3Coordinator {
public:
    explicit V3Coordinator(bool probe) : probe_(probe), writer_(TransitionCause::Coordinator) {}

    // Decides the bookings of one restaurant, in claim order.
    void decide(RestaurantRun& run, const std::vector<const ClaimedBooking*>& bookings);
    // The restaurant's data could not be read: each booking ends in an error outcome.
    void fail(const std::vector<const ClaimedBooking*>& bookings, const SubtransactionError& error);
    // An invocation that does nothing (lock held elsewhere, circuit open, not in rollout):
    // coordinator.start, the optional coordinator.lock_contention, coordinator.noop.
    void noop(const ClaimedBooking& booking, std::string_view reason);

    // Persists everything decided and returns the results in decision order. In bulk, an
    // error propagates (the caller redoes the batch booking by booking); booking by booking,
    // what could not be written gets an error outcome instead.
    std::vector<InvocationResult> persist(WriteMode mode);

    int successes() const { return successes_; }
    int failures() const { return failures_; }

private:
    struct Pending {
        const ClaimedBooking* booking;
        InvocationResult result;
        Micros started_at;
    };
    BookingWrite start_write(const ClaimedBooking& booking, Micros started_at) const;
    BookingWrite error_write(const Pending& pending, const SubtransactionError& error,
                             bool update_booking) const;
    void queue(const ClaimedBooking& booking, BookingWrite write, InvocationResult result,
               Micros started_at);
    std::vector<InvocationResult> finish();

    bool probe_;
    BookingWriter writer_;
    std::vector<Pending> pending_;
    int successes_ = 0;
    int failures_ = 0;
};

}  // namespace av3::pg
