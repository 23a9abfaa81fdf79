// What the legacy planner would have done with the same restaurant at the same moment: the
// baseline the rollout gate judges V3's manual reviews against (docs/architecture.md §10). The
// legacy rule is first fit over single tables (capacity at least the party, min_party at most
// it, free for the occupied interval), with no covers cap and no combinations. A V3 manual
// review is a pipeline failure when that rule would have seated the party, and capacity (the
// restaurant could not seat it, whoever tried) when it would not.
#pragma once

#include "core/invocation.hpp"

namespace av3 {

bool legacy_would_seat(const BookingView& booking, const RestaurantView& restaurant);

}  // namespace av3
