// What one observability event adds to the rollups the statistics read (event_rollup and
// latency_rollup, docs/architecture.md "Events and their rollups"): the same facts, by the same
// rules, as the SQL that recounts them from the stored events (rollup_statement() in
// src/sql/schema/80_rollups.sql), so that the workers can count their own events in C++ and a
// recount gives identical rows. Derived from the context as stored (after any truncation).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/types.hpp"

namespace av3 {

class EventContext;

struct EventRollupFacts {
    std::optional<std::string> reason;  // context->>'reason'
    std::optional<std::string> detail;  // transitions: 'from>to'; auto_assign.summary: outcome;
                                        // coordinator.manual_review: legacy_would_seat
    bool per_restaurant = false;        // start, confirmed, manual review: counted per restaurant
    std::optional<double> delay_ms;     // (context->>'delay_ms')::float8
    std::optional<double> latency_ms;   // (context->>'latency_ms')::float8
    // Counted in the latency histogram (confirmed, auto_assign.summary with latency_ms).
    bool in_latency_histogram = false;
    std::string_view latency_pipeline;  // "v3" or "legacy"
};

EventRollupFacts event_rollup_facts(std::string_view event_type, std::string_view context_json);

// The same facts read from the fields of a context that is stored whole (EventContext::fits):
// what the text would give, without rendering and parsing it.
EventRollupFacts event_rollup_facts(std::string_view event_type, const EventContext& context);

// The histogram bucket of a latency: ceil(ln(microseconds) / ln(1.02)), at least 0 (the SQL's
// assignment_v3_internal.latency_bucket()). No latency counts as 1 microsecond, as there.
// `ln_1_02` is the divisor as the SQL computes it (ln of the numeric 1.02, as a float8): the
// glue asks Postgres for it, so that a bucket edge falls on the same side in both.
int latency_histogram_bucket(std::optional<double> latency_ms, double ln_1_02);

}  // namespace av3
