#include "core/restaurant_share.hpp"

namespace av3 {

namespace {
// The low byte holds the slot plus one (0: nobody), the rest the end in milliseconds.
constexpr int kSlotBits = 8;
constexpr std::uint64_t kSlotMask = (std::uint64_t{1} << kSlotBits) - 1;
}  // namespace

std::uint64_t keeper_word(int worker_slot, Micros until) {
    if (worker_slot < 0 || static_cast<std::uint64_t>(worker_slot) >= kSlotMask || until <= 0) {
        return 0;
    }
    const auto until_ms = static_cast<std::uint64_t>(until / kMicrosPerMilli);
    return (until_ms << kSlotBits) | static_cast<std::uint64_t>(worker_slot + 1);
}

std::optional<int> keeper_at(std::uint64_t word, Micros now) {
    const std::uint64_t slot = word & kSlotMask;
    if (slot == 0 || now < 0) {
        return std::nullopt;
    }
    const std::uint64_t until_ms = word >> kSlotBits;
    const auto now_ms = static_cast<std::uint64_t>(now / kMicrosPerMilli);
    // Over, or further away than any keeping lasts: the clock stepped back since it was
    // written, and a restaurant must not stay with a worker (perhaps gone) for that long.
    if (until_ms <= now_ms ||
        until_ms > now_ms + static_cast<std::uint64_t>(kKeepRestaurantFor / kMicrosPerMilli)) {
        return std::nullopt;
    }
    return static_cast<int>(slot) - 1;
}

bool serves_first(std::uint64_t restaurant_hash, std::optional<int> keeper, int worker_slot,
                  int shares) {
    if (worker_slot < 0 || shares <= 1) {
        return true;  // not a worker (assign_booking(), a backend's batch), or the only one
    }
    if (keeper) {
        return *keeper == worker_slot;
    }
    return static_cast<int>(restaurant_hash % static_cast<std::uint64_t>(shares)) ==
           worker_slot % shares;
}

}  // namespace av3
