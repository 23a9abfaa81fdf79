#include "core/rollout.hpp"

namespace av3 {

std::string_view mode_name(PipelineMode mode) {
    switch (mode) {
        case PipelineMode::Off:
            return "off";
        case PipelineMode::Legacy:
            return "legacy";
        case PipelineMode::Shadow:
            return "shadow";
        case PipelineMode::V3:
            return "v3";
    }
    return "off";
}

std::optional<RolloutOverride> parse_override(std::string_view name) {
    if (name == "v3") {
        return RolloutOverride::V3;
    }
    if (name == "legacy") {
        return RolloutOverride::Legacy;
    }
    if (name == "shadow") {
        return RolloutOverride::Shadow;
    }
    return std::nullopt;
}

int rollout_bucket(const Uuid& restaurant_id) {
    return static_cast<int>(mix64(restaurant_id.stable_hash()) % 100);
}

PipelineMode resolve_mode(const RolloutFlags& flags, std::optional<RolloutOverride> override_mode,
                          int bucket) {
    const PipelineMode legacy_side = !flags.legacy_planner ? PipelineMode::Off
                                     : flags.shadow        ? PipelineMode::Shadow
                                                           : PipelineMode::Legacy;
    if (override_mode) {
        switch (*override_mode) {
            case RolloutOverride::V3:
                return flags.enabled ? PipelineMode::V3 : legacy_side;
            case RolloutOverride::Legacy:
                return flags.legacy_planner ? PipelineMode::Legacy : PipelineMode::Off;
            case RolloutOverride::Shadow:
                return flags.legacy_planner ? PipelineMode::Shadow : PipelineMode::Off;
        }
    }
    if (flags.enabled && bucket < flags.rollout_percent) {
        return PipelineMode::V3;
    }
    return legacy_side;
}

}  // namespace av3
