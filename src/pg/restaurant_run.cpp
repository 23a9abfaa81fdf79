#include "pg/restaurant_run.hpp"

#include "pg/schedule_cache.hpp"
#include "pg/shared_policies.hpp"
#include "pg/spi.hpp"

namespace av3::pg {

namespace {

// The confirmed bookings seated in those intervals, when the restaurant caps its covers.
// Bookings last at most 24 hours (a check constraint), which bounds the index range. OFFSET 0
// keeps the range scan per interval (schedule_cache.cpp: pulled up, the planner filters all of
// a restaurant's past bookings against every interval).
Statement& select_seated() {
    static Statement statement(
        "SELECT b.start_at, b.end_at, b.party_size "
        "FROM unnest($2::timestamptz[], $3::timestamptz[]) AS w(lo, hi) "
        "CROSS JOIN LATERAL (SELECT * FROM assignment_v3.bookings b "
        "                    WHERE b.restaurant_id = $1 AND b.status = 'confirmed' "
        "                      AND b.start_at < w.hi AND b.start_at > w.lo - interval '24 hours' "
        "                      AND b.end_at > w.lo OFFSET 0) b",
        {UUIDOID, TIMESTAMPTZARRAYOID, TIMESTAMPTZARRAYOID}, Planning::PlanEachTime);
    return statement;
}

// Sorted, overlapping intervals merged: what to read from the tables.
void merge_intervals(std::vector<Interval>& intervals, std::vector<Micros>& lowers,
                     std::vector<Micros>& uppers) {
    std::sort(intervals.begin(), intervals.end(),
              [](const Interval& a, const Interval& b) { return a.lower < b.lower; });
    for (const Interval& i : intervals) {
        if (!uppers.empty() && i.lower <= uppers.back()) {
            uppers.back() = std::max(uppers.back(), i.upper);
        } else {
            lowers.push_back(i.lower);
            uppers.push_back(i.upper);
        }
    }
}

}  // namespace

std::unique_ptr<RestaurantRun> RestaurantRun::load(const RestaurantInfo& info,
                                                   const std::vector<BookingView>& bookings) {
    std::unique_ptr<RestaurantRun> run(
        new RestaurantRun(info, RestaurantCache::instance().inventory(info.id)));
    run->rate_ = load_rate_schedule(info.id);
    const Datum id = uuid_datum(info.id);
    std::vector<Interval> occupied;
    std::vector<Interval> seated;
    for (const BookingView& b : bookings) {
        occupied.push_back(occupied_interval(b, info.turn_buffer));
        seated.push_back(Interval{b.start_at, b.end_at});
    }
    std::vector<Micros> lowers, uppers;
    merge_intervals(occupied, lowers, uppers);
    std::vector<Interval> merged;
    for (std::size_t i = 0; i < lowers.size(); ++i) {
        merged.push_back(Interval{lowers[i], uppers[i]});
    }
    for (const BusySeat& seat : ScheduleCache::instance().busy(info.id, merged)) {
        run->schedule_.reserve(run->inventory_->index_of(seat.table_id), seat.during);
    }
    if (info.max_covers_per_slot > 0) {
        lowers.clear();
        uppers.clear();
        merge_intervals(seated, lowers, uppers);
        Rows rows = select_seated().run({{id, false},
                                         {timestamptz_array_datum(lowers), false},
                                         {timestamptz_array_datum(uppers), false}});
        for (std::uint64_t i = 0; i < rows.size(); ++i) {
            run->covers_.add(Interval{rows[i].timestamptz(1), rows[i].timestamptz(2)},
                             rows[i].int4(3));
        }
    }
    return run;
}

void RestaurantRun::seat(const SeatingOption& option, const BookingView& booking) {
    schedule_.reserve(option, occupied_interval(booking, info_.turn_buffer));
    covers_.add(Interval{booking.start_at, booking.end_at}, booking.party_size);
}

void RestaurantRun::seat(const std::vector<Uuid>& table_ids, const BookingView& booking) {
    for (const Uuid& id : table_ids) {
        schedule_.reserve(inventory_->index_of(id), occupied_interval(booking, info_.turn_buffer));
    }
    covers_.add(Interval{booking.start_at, booking.end_at}, booking.party_size);
}

}  // namespace av3::pg
