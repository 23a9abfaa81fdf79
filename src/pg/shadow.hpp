// Shadow mode (docs/architecture.md §10): for each booking the legacy planner serves, what V3 would
// have done, computed from the same state legacy sees and written only to shadow_plans (keyed by
// the booking's assignment_version) and as coordinator.shadow_plan events. It takes no lock of its
// own and changes no booking.
#pragma once

#include "pg/claim.hpp"
#include "pg/event_log.hpp"
#include "pg/invocation_result.hpp"
#include "pg/restaurant_run.hpp"

namespace av3::pg {

class ShadowRecorder {
public:
    // Computes and queues the plan for a booking the legacy planner is about to serve.
    void plan(const RestaurantRun& run, const ClaimedBooking& booking);
    // What the legacy planner then did with it, kept beside the plan for shadow_agreement().
    void legacy_result(const InvocationResult& result);
    // Writes the queued plans (one statement) and their events into `events`.
    void flush(EventBuffer& events);
    std::size_t size() const { return plans_.size(); }

private:
    struct Plan {
        Uuid booking_id;
        Uuid restaurant_id;
        int version;
        Outcome outcome;
        std::string reason;
        std::vector<Uuid> tables;
        Micros computed_at;
        std::string legacy_outcome;
        std::vector<Uuid> legacy_tables;
    };
    std::vector<Plan> plans_;
};

}  // namespace av3::pg
