// Which worker serves a restaurant first: the hash share, unless a worker keeps it.
#include <gtest/gtest.h>

#include "core/restaurant_share.hpp"

namespace av3 {
namespace {

constexpr Micros kNow = 850'000'000 * kMicrosPerSecond;  // 2026, in Postgres' epoch

TEST(RestaurantShare, AKeeperIsKeptUntilItsMomentEnds) {
    const std::uint64_t word = keeper_word(3, kNow + kKeepRestaurantFor);
    EXPECT_EQ(keeper_at(word, kNow), 3);
    EXPECT_EQ(keeper_at(word, kNow + kKeepRestaurantFor - kMicrosPerMilli), 3);
    EXPECT_EQ(keeper_at(word, kNow + kKeepRestaurantFor), std::nullopt);
    EXPECT_EQ(keeper_at(0, kNow), std::nullopt);
    EXPECT_EQ(keeper_at(keeper_word(0, kNow + 1000 * kMicrosPerMilli), kNow), 0);
}

TEST(RestaurantShare, AClockSteppedBackEndsTheKeeping) {
    const std::uint64_t word = keeper_word(1, kNow + kKeepRestaurantFor);
    EXPECT_EQ(keeper_at(word, kNow - kMicrosPerMilli), std::nullopt);
    EXPECT_EQ(keeper_at(word, kNow - 3600 * kMicrosPerSecond), std::nullopt);
}

TEST(RestaurantShare, NoWordForWhatIsNotAWorker) {
    EXPECT_EQ(keeper_word(-1, kNow), 0u);
    EXPECT_EQ(keeper_word(255, kNow), 0u);
    EXPECT_EQ(keeper_word(2, 0), 0u);
}

TEST(RestaurantShare, HashSharesSplitRestaurantsWithoutAKeeper) {
    for (std::uint64_t hash = 0; hash < 40; ++hash) {
        int first = 0;
        for (int slot = 0; slot < 4; ++slot) {
            first += serves_first(hash, std::nullopt, slot, 4) ? 1 : 0;
        }
        EXPECT_EQ(first, 1) << hash;
        EXPECT_TRUE(serves_first(hash, std::nullopt, static_cast<int>(hash % 4), 4));
    }
}

TEST(RestaurantShare, AKeeperServesFirstWhateverTheHash) {
    // Hash 0 is slot 0's share; slot 1 keeps it.
    EXPECT_TRUE(serves_first(0, 1, 1, 2));
    EXPECT_FALSE(serves_first(0, 1, 0, 2));
    // A keeper that is no longer among the workers (max_parallel went down): nobody first
    // until the moment ends, everybody with room takes it.
    EXPECT_FALSE(serves_first(0, 5, 0, 2));
    EXPECT_FALSE(serves_first(0, 5, 1, 2));
}

TEST(RestaurantShare, AOnlyWorkerOrABackendServesEverything) {
    EXPECT_TRUE(serves_first(7, 1, 0, 1));
    EXPECT_TRUE(serves_first(7, std::nullopt, -1, 2));
    EXPECT_TRUE(serves_first(7, 0, -1, 2));
}

}  // namespace
}  // namespace av3
