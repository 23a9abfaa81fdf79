#include "pg/restaurant_run.hpp"

#include "pg/spi.hpp"

namespace av3::pg {

namespace {

Statement& select_busy() {
    static Statement statement(
        "SELECT table_id, lower(during), upper(during) FROM assignment_v3.table_assignments "
        "WHERE restaurant_id = $1 AND during && tstzrange($2, $3)",
        {UUIDOID, TIMESTAMPTZOID, TIMESTAMPTZOID});
    return statement;
}

// Bookings last at most 24 hours (a check constraint), which bounds the index range.
Statement& select_seated() {
    static Statement statement(
        "SELECT start_at, end_at, party_size FROM assignment_v3.bookings "
        "WHERE restaurant_id = $1 AND status = 'confirmed' "
        "  AND start_at < $3 AND start_at > $2 - interval '24 hours' AND end_at > $2",
        {UUIDOID, TIMESTAMPTZOID, TIMESTAMPTZOID});
    return statement;
}

}  // namespace

std::unique_ptr<RestaurantRun> RestaurantRun::load(const RestaurantInfo& info, Micros lower, Micros upper) {
    std::unique_ptr<RestaurantRun> run(new RestaurantRun(info, RestaurantCache::instance().inventory(info.id)));
    const Datum id = uuid_datum(info.id);
    Rows busy = select_busy().run({{id, false},
                                   {TimestampTzGetDatum(lower), false},
                                   {TimestampTzGetDatum(upper + info.turn_buffer), false}});
    for (std::uint64_t i = 0; i < busy.size(); ++i) {
        run->schedule_.reserve(run->inventory_->index_of(busy[i].uuid(1)),
                               Interval{busy[i].timestamptz(2), busy[i].timestamptz(3)});
    }
    if (info.max_covers_per_slot > 0) {
        Rows seated = select_seated().run(
            {{id, false}, {TimestampTzGetDatum(lower), false}, {TimestampTzGetDatum(upper), false}});
        for (std::uint64_t i = 0; i < seated.size(); ++i) {
            run->covers_.add(Interval{seated[i].timestamptz(1), seated[i].timestamptz(2)}, seated[i].int4(3));
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
