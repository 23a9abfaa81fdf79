// Which pipeline serves a restaurant (docs/architecture.md §10): the GUC flags, the stable
// percentage bucket of the restaurant, and a per-restaurant override from
// assignment_v3.restaurant_rollout.
#pragma once

#include <optional>
#include <string_view>

#include "core/types.hpp"

namespace av3 {

enum class PipelineMode {
    Off,     // nobody assigns the restaurant's bookings; they wait
    Legacy,  // the legacy first-fit planner
    Shadow,  // the legacy planner, plus a V3 plan recorded for comparison
    V3,      // the V3 coordinator
};

std::string_view mode_name(PipelineMode mode);

// Values of assignment_v3.restaurant_rollout.mode.
enum class RolloutOverride { V3, Legacy, Shadow };

std::optional<RolloutOverride> parse_override(std::string_view name);

struct RolloutFlags {
    bool enabled = false;        // assignment_v3.enabled: the V3 kill switch
    bool shadow = false;         // assignment_v3.shadow
    int rollout_percent = 100;   // assignment_v3.rollout_percent
    bool legacy_planner = true;  // assignment_v3.legacy_planner
};

// 0..99, fixed for a restaurant forever: raising the percentage only adds restaurants.
int rollout_bucket(const Uuid& restaurant_id);

// Resolution order: `enabled = off` is the global kill switch (no V3 anywhere, whatever the
// overrides say: this is the rollback); an override wins over the percentage; otherwise
// restaurants whose bucket is below rollout_percent run V3 and the others are served by the
// legacy planner, shadowed when `shadow` is on. Shadow needs the legacy planner: it compares
// against what legacy did.
PipelineMode resolve_mode(const RolloutFlags& flags, std::optional<RolloutOverride> override_mode,
                          int bucket);

}  // namespace av3
