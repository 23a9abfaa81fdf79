#include <gtest/gtest.h>

#include <cmath>

#include "core/event_context.hpp"
#include "core/event_rollup.hpp"
#include "core/json_fields.hpp"

namespace av3 {
namespace {

TEST(JsonField, ReadsTopLevelFieldsAsTheArrowOperatorDoes) {
    const std::string json =
        R"({"from": "created", "to": "confirmed", "n": 3, "ok": true, "gone": null,)"
        R"( "nested": {"reason": "inner", "list": [1, "]", {"x": "}"}]}, "reason": "a \"b\"\n\u0007"})";
    EXPECT_EQ(json_field(json, "from")->text, "created");
    EXPECT_TRUE(json_field(json, "from")->is_string);
    EXPECT_EQ(json_field(json, "n")->text, "3");
    EXPECT_FALSE(json_field(json, "n")->is_string);
    EXPECT_EQ(json_field(json, "ok")->text, "true");
    EXPECT_TRUE(json_field(json, "gone").has_value());
    EXPECT_FALSE(json_field(json, "gone")->as_text().has_value());
    EXPECT_FALSE(json_field(json, "missing").has_value());
    // The nested "reason" is not the top-level one.
    EXPECT_EQ(json_field(json, "reason")->text, "a \"b\"\n\x07");
    EXPECT_EQ(json_field(json, "nested")->text,
              R"({"reason": "inner", "list": [1, "]", {"x": "}"}]})");
    EXPECT_FALSE(json_field("not json", "x").has_value());
    EXPECT_FALSE(json_field("{}", "x").has_value());
}

TEST(JsonFields, FindInOnePassWhatJsonFieldFindsKeyByKey) {
    const std::string json = R"({"from": "created", "n": 3, "gone": null, "n": 4,)"
                             R"( "nested": {"from": "inner"}, "reason": "a \"b\""})";
    const std::array<std::string_view, 5> keys = {"reason", "n", "gone", "missing", "from"};
    const auto fields = json_fields(json, keys);
    for (std::size_t i = 0; i < keys.size(); ++i) {
        const std::optional<JsonField> one = json_field(json, keys[i]);
        ASSERT_EQ(fields[i].has_value(), one.has_value()) << keys[i];
        if (one) {
            EXPECT_EQ(fields[i]->text, one->text) << keys[i];
            EXPECT_EQ(fields[i]->is_string, one->is_string) << keys[i];
            EXPECT_EQ(fields[i]->is_null, one->is_null) << keys[i];
        }
    }
    EXPECT_EQ(fields[1]->text, "4");  // a repeated key: the last, as jsonb keeps it
    EXPECT_EQ(fields[4]->text, "created");
    // Text that is not a JSON object, or breaks off after a wanted field: nothing at all.
    for (const char* broken : {"not json", R"({"reason": "x", )", R"(["reason"])"}) {
        for (const auto& field : json_fields(broken, keys)) {
            EXPECT_FALSE(field.has_value()) << broken;
        }
    }
}

TEST(EventRollupFacts, ComeFromTheContextAsRendered) {
    EventContext transition;
    transition.add("from", "table_selected")
        .add("to", "retry_scheduled")
        .add("reason", "no_assignment");
    const EventRollupFacts t =
        event_rollup_facts("booking.assignment_state_transition", transition.render(8192));
    EXPECT_EQ(t.detail, "table_selected>retry_scheduled");
    EXPECT_EQ(t.reason, "no_assignment");
    EXPECT_FALSE(t.per_restaurant);
    EXPECT_FALSE(t.in_latency_histogram);

    EventContext confirmed;
    confirmed.add("strategy", "optimal_fit").add("latency_ms", 12.5).add("attempts", 1);
    const EventRollupFacts c = event_rollup_facts("coordinator.confirmed", confirmed.render(8192));
    EXPECT_TRUE(c.per_restaurant);
    EXPECT_TRUE(c.in_latency_histogram);
    EXPECT_EQ(c.latency_pipeline, "v3");
    EXPECT_DOUBLE_EQ(*c.latency_ms, 12.5);
    EXPECT_FALSE(c.reason.has_value());
    EXPECT_FALSE(c.delay_ms.has_value());

    EventContext review;
    review.add("reason", "max_retries_exceeded").add("legacy_would_seat", true);
    EXPECT_EQ(event_rollup_facts("coordinator.manual_review", review.render(8192)).detail, "true");

    EventContext retry;
    retry.add("reason", "rate_limited").add("delay_ms", 850.25);
    EXPECT_DOUBLE_EQ(*event_rollup_facts("coordinator.retry", retry.render(8192)).delay_ms, 850.25);
}

// A context with a field of every kind, escapes, a repeated key and a JSON null.
EventContext every_kind() {
    EventContext ctx;
    ctx.add("reason", "quote \" backslash \\ newline \n ctl \x01 \xc3\xa9")
        .add("from", "created")
        .add("to", "table_selected")
        .add("attempts", 3)
        .add("delay_ms", 850.25)
        .add("legacy_would_seat", false)
        .add_null("latency_ms")
        .add_strings("tables", {"a", "b \"c\""})
        .add_uuids("ids", {Uuid::from_number(7)})
        .add("outcome", "seated")
        .add("from", "retry_scheduled");  // repeated: the last one is stored
    return ctx;
}

TEST(EventContext, ItsFieldsAreWhatItsTextHolds) {
    const EventContext ctx = every_kind();
    const std::string text = ctx.render(8192);
    const std::array<std::string_view, 9> keys = {"reason",     "from",     "to",
                                                  "attempts",   "delay_ms", "legacy_would_seat",
                                                  "latency_ms", "tables",   "missing"};
    std::array<std::optional<JsonField>, 9> from_fields;
    ctx.find(keys.data(), keys.size(), from_fields.data());
    const auto from_text = json_fields(text, keys);
    for (std::size_t i = 0; i < keys.size(); ++i) {
        ASSERT_EQ(from_fields[i].has_value(), from_text[i].has_value()) << keys[i];
        if (from_text[i]) {
            EXPECT_EQ(from_fields[i]->text, from_text[i]->text) << keys[i];
            EXPECT_EQ(from_fields[i]->is_string, from_text[i]->is_string) << keys[i];
            EXPECT_EQ(from_fields[i]->is_null, from_text[i]->is_null) << keys[i];
        }
    }
    EXPECT_EQ(from_fields[1]->text, "retry_scheduled");
    EXPECT_FALSE(from_fields[8].has_value());
}

TEST(EventContext, FitsExactlyWhenItsWholeTextDoes) {
    const EventContext ctx = every_kind();
    const std::size_t size = ctx.render(1 << 20).size();
    EXPECT_TRUE(ctx.fits(size));
    EXPECT_FALSE(ctx.fits(size - 1));
    EXPECT_EQ(ctx.render(size).size(), size);
    EXPECT_LT(ctx.render(size - 1).size(), size);  // shortened
    EventContext empty;
    EXPECT_TRUE(empty.fits(0));  // "{}", and never under 64 bytes of budget
    EXPECT_EQ(empty.render(0), "{}");
}

TEST(EventRollupFacts, FromTheFieldsEqualFromTheText) {
    const EventContext ctx = every_kind();
    for (std::string_view type :
         {"booking.assignment_state_transition", "auto_assign.summary", "coordinator.manual_review",
          "coordinator.confirmed", "coordinator.retry"}) {
        const EventRollupFacts a = event_rollup_facts(type, ctx);
        const EventRollupFacts b = event_rollup_facts(type, ctx.render(8192));
        EXPECT_EQ(a.reason, b.reason) << type;
        EXPECT_EQ(a.detail, b.detail) << type;
        EXPECT_EQ(a.per_restaurant, b.per_restaurant) << type;
        EXPECT_EQ(a.delay_ms, b.delay_ms) << type;
        EXPECT_EQ(a.latency_ms, b.latency_ms) << type;
        EXPECT_EQ(a.in_latency_histogram, b.in_latency_histogram) << type;
        EXPECT_EQ(a.latency_pipeline, b.latency_pipeline) << type;
    }
    EXPECT_EQ(event_rollup_facts("booking.assignment_state_transition", ctx).detail,
              "retry_scheduled>table_selected");
}

TEST(EventRollupFacts, ATruncatedContextIsCountedAsStored) {
    EventContext big;
    big.add("reason", "no_assignment").add("from", "created").add("to", "retry_scheduled");
    big.add("tables", std::string(5000, 'x'));
    const std::string stored = big.render(256);
    const EventRollupFacts facts =
        event_rollup_facts("booking.assignment_state_transition", stored);
    EXPECT_EQ(facts.reason, "no_assignment");
    // Whatever survived truncation is what a recount from the stored context finds.
    const std::optional<JsonField> from = json_field(stored, "from");
    const std::optional<JsonField> to = json_field(stored, "to");
    if (from && to) {
        EXPECT_EQ(facts.detail, from->text + ">" + to->text);
    } else {
        EXPECT_FALSE(facts.detail.has_value());
    }
}

TEST(LatencyHistogram, BucketsAreTwoPercentWideAndStartAtOneMicrosecond) {
    const double ln_1_02 = std::log(1.02);
    EXPECT_EQ(latency_histogram_bucket(std::nullopt, ln_1_02), 0);
    EXPECT_EQ(latency_histogram_bucket(0.0, ln_1_02), 0);
    EXPECT_EQ(latency_histogram_bucket(0.001, ln_1_02), 0);  // 1 microsecond
    const int ten_ms = latency_histogram_bucket(10.0, ln_1_02);
    EXPECT_EQ(ten_ms, static_cast<int>(std::ceil(std::log(10000.0) / ln_1_02)));
    EXPECT_EQ(latency_histogram_bucket(10.0 * 1.02, ln_1_02), ten_ms + 1);
}

}  // namespace
}  // namespace av3
