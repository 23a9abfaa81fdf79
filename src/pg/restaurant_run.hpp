// What one batch knows about a restaurant it serves: the inventory, the schedule of the time
// window its claimed bookings span, and the seated covers when the restaurant caps them.
// Decisions made in the batch are recorded here, so later bookings see earlier ones.
#pragma once

#include <memory>

#include "core/covers.hpp"
#include "core/invocation.hpp"
#include "core/schedule.hpp"
#include "pg/restaurant_cache.hpp"

namespace av3::pg {

class RestaurantRun {
public:
    // Loads what overlaps the bookings about to be decided: the assignments overlapping their
    // occupied intervals and, with a covers cap, the confirmed bookings overlapping their times;
    // and the restaurant's rate schedule (the caller holds the restaurant's advisory lock).
    // Only those intervals are read (merged where they overlap), not the whole span between the
    // first and the last booking, which for a backlog would be weeks of assignments.
    static std::unique_ptr<RestaurantRun> load(const RestaurantInfo& info,
                                               const std::vector<BookingView>& bookings);

    const RestaurantInfo& info() const { return info_; }
    const Inventory& inventory() const { return *inventory_; }
    // What the coordinator decides on; its decisions advance the rate schedule.
    RestaurantView view() {
        return RestaurantView{*inventory_, schedule_, covers_, info_.turn_buffer, &rate_};
    }
    // For shadow plans: the same, without the rate limit.
    RestaurantView view_without_rate_limit() const {
        return RestaurantView{*inventory_, schedule_, covers_, info_.turn_buffer, nullptr};
    }
    // The rate schedule after this batch's decisions (the caller stages it for commit).
    const RateSchedule& rate_schedule() const { return rate_; }

    // Records a seating decided in this batch.
    void seat(const SeatingOption& option, const BookingView& booking);
    // Records a seating by table ids (the legacy planner's), ignoring unknown tables.
    void seat(const std::vector<Uuid>& table_ids, const BookingView& booking);

private:
    RestaurantRun(const RestaurantInfo& info, std::shared_ptr<const Inventory> inventory)
        : info_(info),
          inventory_(std::move(inventory)),
          schedule_(*inventory_),
          covers_(info.max_covers_per_slot) {}

    RestaurantInfo info_;
    std::shared_ptr<const Inventory> inventory_;
    Schedule schedule_;
    CoversLedger covers_;
    RateSchedule rate_;
};

}  // namespace av3::pg
