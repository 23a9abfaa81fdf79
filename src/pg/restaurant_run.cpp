#include "pg/restaurant_run.hpp"

#include "pg/shared_policies.hpp"
#include "pg/spi.hpp"

namespace av3::pg {

namespace {

// One interval per statement, so that both bounds are parameters of a plain range scan of
// table_assignments_restaurant_start_idx: a lateral join over all intervals at once is planned
// with the table's statistics of the moment, and a plan made while the table was small reads
// every assignment of the restaurant for every interval once it has grown.
Statement& select_busy() {
    static Statement statement(
        "SELECT table_id, lower(during), upper(during) FROM assignment_v3.table_assignments "
        "WHERE restaurant_id = $1 AND lower(during) >= $2::timestamptz - interval '28 hours' "
        "  AND lower(during) < $3 AND upper(during) > $2",
        {UUIDOID, TIMESTAMPTZOID, TIMESTAMPTZOID});
    return statement;
}

// Bookings last at most 24 hours (a check constraint), which bounds the index range.
Statement& select_seated() {
    static Statement statement(
        "SELECT start_at, end_at, party_size FROM assignment_v3.bookings "
        "WHERE restaurant_id = $1 AND status = 'confirmed' AND start_at < $3 "
        "  AND start_at > $2::timestamptz - interval '24 hours' AND end_at > $2",
        {UUIDOID, TIMESTAMPTZOID, TIMESTAMPTZOID});
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
    for (std::size_t w = 0; w < lowers.size(); ++w) {
        Rows busy = select_busy().run({{id, false},
                                       {TimestampTzGetDatum(lowers[w]), false},
                                       {TimestampTzGetDatum(uppers[w]), false}});
        for (std::uint64_t i = 0; i < busy.size(); ++i) {
            run->schedule_.reserve(run->inventory_->index_of(busy[i].uuid(1)),
                                   Interval{busy[i].timestamptz(2), busy[i].timestamptz(3)});
        }
    }
    if (info.max_covers_per_slot > 0) {
        lowers.clear();
        uppers.clear();
        merge_intervals(seated, lowers, uppers);
        for (std::size_t w = 0; w < lowers.size(); ++w) {
            Rows rows = select_seated().run({{id, false},
                                             {TimestampTzGetDatum(lowers[w]), false},
                                             {TimestampTzGetDatum(uppers[w]), false}});
            for (std::uint64_t i = 0; i < rows.size(); ++i) {
                run->covers_.add(Interval{rows[i].timestamptz(1), rows[i].timestamptz(2)},
                                 rows[i].int4(3));
            }
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
