#include "core/legacy_baseline.hpp"

#include <algorithm>

namespace av3 {

bool legacy_would_seat(const BookingView& booking, const RestaurantView& restaurant) {
    const Interval during = occupied_interval(booking, restaurant.turn_buffer);
    const std::vector<SeatingOption>& singles = restaurant.inventory.singles();
    return std::any_of(singles.begin(), singles.end(), [&](const SeatingOption& table) {
        return table.admits(booking.party_size) && restaurant.schedule.is_free(table, during);
    });
}

}  // namespace av3
