// What one invocation did to one booking, as process_pending() and assign_booking() report it.
#pragma once

#include "core/invocation.hpp"
#include "core/rollout.hpp"

namespace av3::pg {

struct InvocationResult {
    Uuid booking_id;
    std::string_view pipeline;  // "v3" or "legacy"
    Outcome outcome = Outcome::Noop;
    std::string reason;  // empty on success
    std::vector<Uuid> tables;
};

}  // namespace av3::pg
