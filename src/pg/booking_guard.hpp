// The bookings guard (BEFORE ROW trigger, booking_guard.cpp): what applications may change, and
// the check the extension's own writes pass. Exposed for the writer's direct update
// (pg/booking_update.hpp), which makes that check itself.
#pragma once

#include "core/state_machine.hpp"
#include "core/types.hpp"
#include "pg/error_boundary.hpp"

#include <string_view>

namespace av3::pg {

// The error for a write of the extension that the state machine does not allow (a bug).
UserError illegal_own_transition(const Uuid& booking, std::string_view from_text,
                                 std::string_view to_text, TransitionCause cause);

}  // namespace av3::pg
