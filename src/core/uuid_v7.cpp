#include "core/uuid_v7.hpp"

namespace av3 {

std::optional<Uuid> uuid_v7(std::int64_t unix_micros, const std::array<std::uint8_t, 8>& random) {
    if (unix_micros < 0 || unix_micros > kUuidV7MaxUnixMicros) {
        return std::nullopt;
    }
    const std::uint64_t millis = static_cast<std::uint64_t>(unix_micros / 1000);
    // The fraction of the millisecond in 12 bits: 0..4091, in the order of the microseconds.
    const std::uint64_t fraction = static_cast<std::uint64_t>(unix_micros % 1000) * 4096 / 1000;
    Uuid id;
    for (int i = 0; i < 6; ++i) {
        id.bytes[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(millis >> (8 * (5 - i)));
    }
    id.bytes[6] = static_cast<std::uint8_t>(0x70 | (fraction >> 8));
    id.bytes[7] = static_cast<std::uint8_t>(fraction & 0xFF);
    id.bytes[8] = static_cast<std::uint8_t>(0x80 | (random[0] & 0x3F));
    for (std::size_t i = 1; i < random.size(); ++i) {
        id.bytes[8 + i] = random[i];
    }
    return id;
}

}  // namespace av3
