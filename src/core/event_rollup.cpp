#include "core/event_rollup.hpp"

#include <array>
#include <cmath>
#include <cstdlib>

#include "core/event_context.hpp"
#include "core/json_fields.hpp"

namespace av3 {

namespace {

// The context's fields the rollups read, found in one pass over it.
enum Key { kReason, kFrom, kTo, kOutcome, kLegacyWouldSeat, kDelayMs, kLatencyMs, kKeys };
constexpr std::array<std::string_view, kKeys> kKeyNames = {
    "reason", "from", "to", "outcome", "legacy_would_seat", "delay_ms", "latency_ms"};

std::optional<std::string> text_of(const std::optional<JsonField>& field) {
    return field ? field->as_text() : std::nullopt;
}

// `(text)::float8` of a number's text (what float8in does: strtod).
std::optional<double> number_of(const std::optional<JsonField>& field) {
    const std::optional<std::string> text = text_of(field);
    if (!text) {
        return std::nullopt;
    }
    return std::strtod(text->c_str(), nullptr);
}

using Fields = std::array<std::optional<JsonField>, kKeys>;

EventRollupFacts facts_of(std::string_view event_type, const Fields& fields) {
    EventRollupFacts facts;
    facts.reason = text_of(fields[kReason]);
    if (event_type == "booking.assignment_state_transition") {
        // `from || '>' || to`: NULL when either is.
        const std::optional<std::string> from = text_of(fields[kFrom]);
        const std::optional<std::string> to = text_of(fields[kTo]);
        if (from && to) {
            facts.detail = *from + ">" + *to;
        }
    } else if (event_type == "auto_assign.summary") {
        facts.detail = text_of(fields[kOutcome]);
    } else if (event_type == "coordinator.manual_review") {
        facts.detail = text_of(fields[kLegacyWouldSeat]);
    }
    facts.per_restaurant = event_type == "coordinator.start" ||
                           event_type == "coordinator.confirmed" ||
                           event_type == "coordinator.manual_review";
    facts.delay_ms = number_of(fields[kDelayMs]);
    facts.latency_ms = number_of(fields[kLatencyMs]);
    if (event_type == "coordinator.confirmed" || event_type == "auto_assign.summary") {
        // `context ? 'latency_ms'`: the key is there, even with a JSON null.
        facts.in_latency_histogram = fields[kLatencyMs].has_value();
        facts.latency_pipeline = event_type == "coordinator.confirmed" ? "v3" : "legacy";
    }
    return facts;
}

}  // namespace

EventRollupFacts event_rollup_facts(std::string_view event_type, std::string_view context_json) {
    return facts_of(event_type, json_fields(context_json, kKeyNames));
}

EventRollupFacts event_rollup_facts(std::string_view event_type, const EventContext& context) {
    Fields fields;
    context.find(kKeyNames.data(), kKeys, fields.data());
    return facts_of(event_type, fields);
}

int latency_histogram_bucket(std::optional<double> latency_ms, double ln_1_02) {
    // greatest(latency_ms * 1000, 1) ignores a NULL, as greatest() does.
    const double micros = latency_ms ? std::max(*latency_ms * 1000, 1.0) : 1.0;
    const double bucket = std::ceil(std::log(micros) / ln_1_02);
    return static_cast<int>(std::max(0.0, bucket));
}

}  // namespace av3
