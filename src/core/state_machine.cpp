#include "core/state_machine.hpp"

#include <array>

namespace av3 {

namespace {

constexpr std::array<std::string_view, kAssignmentStateCount> kStateNames = {
    "created",         "capacity_verified", "table_selected", "confirmed",
    "retry_scheduled", "manual_review",     "cancelled",
};

using S = AssignmentState;

bool coordinator_allows(S from, S to) {
    switch (from) {
        case S::Created:
            return to == S::CapacityVerified || to == S::RetryScheduled || to == S::ManualReview;
        case S::RetryScheduled:
            return to == S::CapacityVerified || to == S::RetryScheduled || to == S::ManualReview;
        case S::CapacityVerified:
            return to == S::TableSelected || to == S::RetryScheduled || to == S::ManualReview;
        case S::TableSelected:
            return to == S::Confirmed;
        case S::Confirmed:
        case S::ManualReview:
        case S::Cancelled:
            return false;
    }
    return false;
}

bool legacy_allows(S from, S to) {
    // The legacy planner has no intermediate states: it seats or escalates a runnable booking.
    return is_runnable(from) && (to == S::Confirmed || to == S::ManualReview);
}

}  // namespace

std::string_view state_name(AssignmentState state) {
    return kStateNames[static_cast<std::size_t>(state)];
}

std::optional<AssignmentState> parse_state(std::string_view name) {
    for (std::size_t i = 0; i < kStateNames.size(); ++i) {
        if (kStateNames[i] == name) {
            return static_cast<AssignmentState>(i);
        }
    }
    return std::nullopt;
}

std::string_view status_for_state(AssignmentState state) {
    switch (state) {
        case S::Confirmed:
            return "confirmed";
        case S::Cancelled:
            return "cancelled";
        default:
            return "pending";
    }
}

bool is_runnable(AssignmentState state) {
    return state == S::Created || state == S::RetryScheduled;
}

bool is_intermediate(AssignmentState state) {
    return state == S::CapacityVerified || state == S::TableSelected;
}

std::string_view cause_name(TransitionCause cause) {
    switch (cause) {
        case TransitionCause::Coordinator:
            return "coordinator";
        case TransitionCause::Modification:
            return "modification";
        case TransitionCause::Cancellation:
            return "cancellation";
        case TransitionCause::Requeue:
            return "requeue";
        case TransitionCause::ManualAssignment:
            return "manual_assignment";
        case TransitionCause::LegacyPlanner:
            return "legacy_planner";
        case TransitionCause::InventoryChange:
            return "inventory_change";
    }
    return "unknown";
}

bool transition_allowed(AssignmentState from, AssignmentState to, TransitionCause cause) {
    switch (cause) {
        case TransitionCause::Coordinator:
            return coordinator_allows(from, to);
        case TransitionCause::LegacyPlanner:
            return legacy_allows(from, to);
        case TransitionCause::Modification:
            // Any live booking goes back to the start; a cancelled one stays cancelled.
            return from != S::Cancelled && to == S::Created;
        case TransitionCause::Cancellation:
            return from != S::Cancelled && to == S::Cancelled;
        case TransitionCause::Requeue:
            return from == S::ManualReview && to == S::Created;
        case TransitionCause::ManualAssignment:
            // From a runnable state, manual review, or confirmed (moving a seated party).
            return from != S::Cancelled && !is_intermediate(from) && to == S::Confirmed;
        case TransitionCause::InventoryChange:
            // A seated booking whose tables can no longer seat it goes back to the start.
            return from == S::Confirmed && to == S::Created;
    }
    return false;
}

bool write_allowed(AssignmentState from, AssignmentState to, TransitionCause cause) {
    if (is_intermediate(to)) {
        return false;
    }
    if (from == to) {
        return true;
    }
    // Breadth-first over the transition table: at most seven states.
    bool reached[kAssignmentStateCount] = {};
    AssignmentState queue[kAssignmentStateCount];
    int head = 0;
    int tail = 0;
    queue[tail++] = from;
    reached[static_cast<int>(from)] = true;
    while (head < tail) {
        const AssignmentState at = queue[head++];
        for (int i = 0; i < kAssignmentStateCount; ++i) {
            const auto next = static_cast<AssignmentState>(i);
            if (!reached[i] && transition_allowed(at, next, cause)) {
                if (next == to) {
                    return true;
                }
                reached[i] = true;
                queue[tail++] = next;
            }
        }
    }
    return false;
}

}  // namespace av3
