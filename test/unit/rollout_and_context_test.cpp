#include <gtest/gtest.h>

#include <string>

#include "core/event_context.hpp"
#include "core/rollout.hpp"

namespace av3 {
namespace {

TEST(Rollout, BucketsAreStableAndSpreadEvenly) {
    std::vector<int> counts(100, 0);
    for (std::uint64_t n = 0; n < 100000; ++n) {
        int bucket = rollout_bucket(Uuid::from_number(n));
        ASSERT_GE(bucket, 0);
        ASSERT_LT(bucket, 100);
        counts[bucket]++;
    }
    for (int c : counts) {
        EXPECT_GT(c, 800);
        EXPECT_LT(c, 1200);
    }
    EXPECT_EQ(rollout_bucket(Uuid::from_number(12345)), rollout_bucket(Uuid::from_number(12345)));
}

TEST(Rollout, RaisingThePercentageOnlyAddsRestaurants) {
    RolloutFlags flags;
    flags.enabled = true;
    for (std::uint64_t n = 0; n < 2000; ++n) {
        int bucket = rollout_bucket(Uuid::from_number(n));
        bool previous = false;
        for (int percent : {0, 10, 50, 100}) {
            flags.rollout_percent = percent;
            bool in = resolve_mode(flags, std::nullopt, bucket) == PipelineMode::V3;
            EXPECT_TRUE(in || !previous) << "restaurant left the rollout at " << percent;
            previous = in;
        }
        EXPECT_TRUE(previous);
    }
}

TEST(Rollout, ModeMatrix) {
    RolloutFlags off{false, false, 100, true};
    EXPECT_EQ(resolve_mode(off, std::nullopt, 0), PipelineMode::Legacy);
    RolloutFlags shadow{false, true, 100, true};
    EXPECT_EQ(resolve_mode(shadow, std::nullopt, 0), PipelineMode::Shadow);
    RolloutFlags full{true, false, 100, true};
    EXPECT_EQ(resolve_mode(full, std::nullopt, 99), PipelineMode::V3);
    RolloutFlags partial{true, true, 10, true};
    EXPECT_EQ(resolve_mode(partial, std::nullopt, 9), PipelineMode::V3);
    EXPECT_EQ(resolve_mode(partial, std::nullopt, 10), PipelineMode::Shadow);
    RolloutFlags nothing{false, true, 100, false};
    EXPECT_EQ(resolve_mode(nothing, std::nullopt, 0), PipelineMode::Off);
    // Overrides win over the percentage, but never over the kill switch.
    EXPECT_EQ(resolve_mode(partial, RolloutOverride::V3, 99), PipelineMode::V3);
    EXPECT_EQ(resolve_mode(partial, RolloutOverride::Legacy, 0), PipelineMode::Legacy);
    EXPECT_EQ(resolve_mode(off, RolloutOverride::V3, 0), PipelineMode::Legacy);
    EXPECT_EQ(resolve_mode(off, RolloutOverride::Shadow, 0), PipelineMode::Shadow);
    EXPECT_EQ(parse_override("shadow"), RolloutOverride::Shadow);
    EXPECT_FALSE(parse_override("V3").has_value());
}

TEST(EventContext, RendersEscapedJson) {
    EventContext ctx;
    ctx.add("reason", "no_assignment").add("delay_ms", std::int64_t{1500}).add("ok", false);
    ctx.add("msg", "quote \" backslash \\ newline \n tab \t ctl \x01");
    ctx.add_strings("tables", {"a", "b"});
    EXPECT_EQ(ctx.render(8192),
              "{\"reason\": \"no_assignment\", \"delay_ms\": 1500, \"ok\": false, "
              "\"msg\": \"quote \\\" backslash \\\\ newline \\n tab \\t ctl \\u0001\", "
              "\"tables\": [\"a\", \"b\"]}");
}

TEST(EventContext, RendersUuidsInCanonicalForm) {
    EventContext ctx;
    ctx.add_uuids("tables", {Uuid::from_number(1), Uuid::from_number(255)});
    EXPECT_EQ(ctx.render(8192),
              "{\"tables\": [\"00000000-0000-0000-0000-000000000001\", "
              "\"00000000-0000-0000-0000-0000000000ff\"]}");
}

TEST(EventContext, OversizedContextKeepsReasonAndIsFlagged) {
    EventContext ctx;
    ctx.add("sqlstate", "XX000")
        .add("message", std::string(5000, 'x'))
        .add("reason", "unexpected_error");
    std::string json = ctx.render(256);
    EXPECT_LE(json.size(), 256u);
    EXPECT_NE(json.find("\"reason\": \"unexpected_error\""), std::string::npos) << json;
    EXPECT_NE(json.find("\"truncated\": true"), std::string::npos) << json;
    EXPECT_NE(json.find("\"original_bytes\": "), std::string::npos) << json;
    EXPECT_NE(json.find("\"sqlstate\": \"XX000\""), std::string::npos) << json;
}

TEST(EventContext, TruncationNeverSplitsUtf8OrEscapes) {
    for (std::size_t limit = 64; limit < 400; limit += 7) {
        EventContext ctx;
        std::string text;
        for (int i = 0; i < 300; ++i) {
            text += (i % 3 == 0) ? "\xc3\xa9" : (i % 3 == 1 ? "\"" : "\\");
        }
        ctx.add("message", text).add("reason", "x");
        std::string json = ctx.render(limit);
        ASSERT_LE(json.size(), limit);
        // Well-formed: every backslash starts a complete escape, no dangling UTF-8 lead byte.
        for (std::size_t i = 0; i < json.size(); ++i) {
            unsigned char c = static_cast<unsigned char>(json[i]);
            if (c == 0xc3) {
                ASSERT_LT(i + 1, json.size());
                ASSERT_EQ(static_cast<unsigned char>(json[i + 1]), 0xa9);
            }
            if (c == '\\') {
                ASSERT_LT(i + 1, json.size());
                ++i;
            }
        }
        EXPECT_EQ(json.back(), '}');
    }
}

}  // namespace
}  // namespace av3
