#include <gtest/gtest.h>

#include <algorithm>

#include "core/uuid_v7.hpp"

namespace av3 {
namespace {

// The microseconds since the Unix epoch that uuid_v7() encoded (exactly: each microsecond of a
// millisecond has its own 12-bit fraction; the fractions past 4091, which uuid_v7() never makes,
// read as the millisecond's last microsecond); none if `id` is not a version 7 UUID.
std::optional<std::int64_t> uuid_v7_unix_micros(const Uuid& id) {
    if ((id.bytes[6] >> 4) != 7 || (id.bytes[8] >> 6) != 2) {
        return std::nullopt;
    }
    std::uint64_t millis = 0;
    for (int i = 0; i < 6; ++i) {
        millis = (millis << 8) | id.bytes[static_cast<std::size_t>(i)];
    }
    const std::uint64_t fraction =
        (static_cast<std::uint64_t>(id.bytes[6] & 0x0F) << 8) | id.bytes[7];
    // The microsecond whose fraction this is: fractions of successive microseconds are 4 or 5
    // apart, so rounding up inverts the rounding down.
    const std::uint64_t micros = std::min<std::uint64_t>((fraction * 1000 + 4095) / 4096, 999);
    return static_cast<std::int64_t>(millis * 1000 + micros);
}

constexpr std::array<std::uint8_t, 8> kZeros{};
constexpr std::array<std::uint8_t, 8> kOnes{0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};

TEST(UuidV7, LaysOutTimeVersionFractionVariantAndRandomBits) {
    // 2026-12-05 20:00:00.123456 UTC
    const std::int64_t at = 1796500800123456;
    const Uuid id = *uuid_v7(at, {0x12, 0x34, 0x56, 0x78, 0x9A, 0xBC, 0xDE, 0xF0});
    // 1796500800123 ms = 0x01A2 47CA C27B; 456 us -> 456 * 4096 / 1000 = 1867 = 0x74B
    EXPECT_EQ(id.to_string(), "01a247ca-c27b-774b-9234-56789abcdef0");
    EXPECT_EQ(id.bytes[6] >> 4, 7);     // version
    EXPECT_EQ(id.bytes[8] >> 6, 0b10);  // variant
    EXPECT_EQ(*uuid_v7_unix_micros(id), at);
}

TEST(UuidV7, LaterTimesSortLaterWhateverTheRandomBits) {
    std::int64_t previous_at = 1796500800000000;
    Uuid previous = *uuid_v7(previous_at, kOnes);
    for (std::int64_t step : {1LL, 2LL, 3LL, 999LL, 1000LL, 1001LL, 86400000000LL}) {
        const std::int64_t at = previous_at + step;
        const Uuid later = *uuid_v7(at, kZeros);
        EXPECT_LT(previous, later) << "step " << step;
        EXPECT_EQ(*uuid_v7_unix_micros(later), at);
        previous = *uuid_v7(at, kOnes);
        previous_at = at;
    }
}

TEST(UuidV7, EveryMicrosecondOfAMillisecondKeepsItsOwnFraction) {
    for (std::int64_t us = 0; us < 1000; ++us) {
        const std::int64_t at = 1796500800000000 + us;
        ASSERT_EQ(*uuid_v7_unix_micros(*uuid_v7(at, kOnes)), at) << us;
    }
}

TEST(UuidV7, RefusesTimesItCannotHold) {
    EXPECT_FALSE(uuid_v7(-1, kZeros).has_value());
    EXPECT_FALSE(uuid_v7(kUuidV7MaxUnixMicros + 1, kZeros).has_value());
    EXPECT_EQ(uuid_v7(0, kZeros)->to_string(), "00000000-0000-7000-8000-000000000000");
    EXPECT_EQ(uuid_v7(kUuidV7MaxUnixMicros, kOnes)->to_string(),
              "ffffffff-ffff-7ffb-bfff-ffffffffffff");
}

TEST(UuidV7, TellsOtherVersionsApart) {
    Uuid v4 = *uuid_v7(1796500800000000, kZeros);
    v4.bytes[6] = static_cast<std::uint8_t>(0x40 | (v4.bytes[6] & 0x0F));
    EXPECT_FALSE(uuid_v7_unix_micros(v4).has_value());
    EXPECT_FALSE(uuid_v7_unix_micros(Uuid{}).has_value());
}

TEST(UuidV7, ReadsFractionsItNeverMakesAsTheMillisecondsLastMicrosecond) {
    Uuid id = *uuid_v7(1796500800000000, kZeros);
    id.bytes[6] = 0x7F;  // fraction 0xFFF = 4095
    id.bytes[7] = 0xFF;
    EXPECT_EQ(*uuid_v7_unix_micros(id), 1796500800000999);
}

TEST(MonotonicMicros, FollowsTheClockAndStepsOnWhenItStandsStillOrGoesBack) {
    MonotonicMicros clock;
    EXPECT_EQ(clock.next(1000), 1000);
    EXPECT_EQ(clock.next(1000), 1001);  // the same microsecond
    EXPECT_EQ(clock.next(1000), 1002);
    EXPECT_EQ(clock.next(900), 1003);   // the clock stepped back
    EXPECT_EQ(clock.next(5000), 5000);  // and on again
    EXPECT_EQ(clock.next(0), 5001);
}

}  // namespace
}  // namespace av3
