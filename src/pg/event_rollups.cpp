#include "pg/event_rollups.hpp"

#include "core/event_rollup.hpp"
#include "pg/rollup_update.hpp"
#include "pg/spi.hpp"

#include <algorithm>

extern "C" {
#include "utils/fmgrprotos.h"
}

namespace av3::pg {

namespace {

// (greatest() is syntax, not a function: it cannot be schema-qualified, and needs not be.)
Statement& add_event_counts() {
    static Statement statement(
        "INSERT INTO assignment_v3_internal.event_rollup AS r "
        "  (width, bucket, source, event_type, reason, detail, restaurant_id, writer, events, "
        "   delay_ms_sum, delay_ms_max, latency_ms_max) "
        "SELECT * FROM unnest($1::int[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], "
        "                     $6::text[], $7::uuid[], $8::int[], $9::bigint[], $10::float8[], "
        "                     $11::float8[], $12::float8[]) "
        "ON CONFLICT ON CONSTRAINT event_rollup_key DO UPDATE SET "
        "  events = r.events + excluded.events, "
        "  delay_ms_sum = r.delay_ms_sum + excluded.delay_ms_sum, "
        "  delay_ms_max = greatest(r.delay_ms_max, excluded.delay_ms_max), "
        "  latency_ms_max = greatest(r.latency_ms_max, excluded.latency_ms_max)",
        {INT4ARRAYOID, TIMESTAMPTZARRAYOID, TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID,
         UUIDARRAYOID, INT4ARRAYOID, INT8ARRAYOID, FLOAT8ARRAYOID, FLOAT8ARRAYOID, FLOAT8ARRAYOID});
    return statement;
}

Statement& add_latency_counts() {
    static Statement statement(
        "INSERT INTO assignment_v3_internal.latency_rollup AS r "
        "  (width, bucket, pipeline, latency_bucket, writer, confirmations) "
        "SELECT * FROM unnest($1::int[], $2::timestamptz[], $3::text[], $4::int[], $5::int[], "
        "                     $6::bigint[]) "
        "ON CONFLICT ON CONSTRAINT latency_rollup_key DO UPDATE SET "
        "  confirmations = r.confirmations + excluded.confirmations",
        {INT4ARRAYOID, TIMESTAMPTZARRAYOID, TEXTARRAYOID, INT4ARRAYOID, INT4ARRAYOID,
         INT8ARRAYOID});
    return statement;
}

// ln(1.02) as the SQL's latency_bucket() computes it: the numeric's logarithm, as a float8.
double sql_ln_1_02() {
    static const double value = pg_call([] {
        Datum numeric = DirectFunctionCall3(numeric_in, CStringGetDatum("1.02"),
                                            ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1));
        return DatumGetFloat8(
            DirectFunctionCall1(numeric_float8, DirectFunctionCall1(numeric_ln, numeric)));
    });
    return value;
}

// The upsert of the rows not `added` directly (none: no statement).
void add_event_counts_by_sql(const std::vector<RollupAddition>& rows,
                             const std::vector<char>& added) {
    if (std::find(added.begin(), added.end(), 0) == added.end()) {
        return;
    }
    std::vector<int> widths, writers;
    std::vector<Micros> buckets;
    std::vector<std::string> sources, types, reasons, details;
    std::vector<bool> reason_nulls, detail_nulls, restaurant_nulls, delay_max_nulls,
        latency_max_nulls;
    std::vector<Uuid> restaurants;
    std::vector<std::int64_t> counts;
    std::vector<double> delay_sums, delay_maxes, latency_maxes;
    for (std::size_t i = 0; i < rows.size(); ++i) {
        if (added[i]) {
            continue;
        }
        const RollupAddition& r = rows[i];
        widths.push_back(r.width);
        buckets.push_back(r.bucket);
        sources.emplace_back(r.source);
        types.emplace_back(r.event_type);
        reasons.push_back(r.reason ? *r.reason : "");
        reason_nulls.push_back(r.reason == nullptr);
        details.push_back(r.detail ? *r.detail : "");
        detail_nulls.push_back(r.detail == nullptr);
        restaurants.push_back(r.restaurant_id ? *r.restaurant_id : Uuid{});
        restaurant_nulls.push_back(r.restaurant_id == nullptr);
        writers.push_back(r.writer);
        counts.push_back(r.events);
        delay_sums.push_back(r.delay_ms_sum);
        delay_maxes.push_back(r.delay_ms_max.value_or(0));
        delay_max_nulls.push_back(!r.delay_ms_max.has_value());
        latency_maxes.push_back(r.latency_ms_max.value_or(0));
        latency_max_nulls.push_back(!r.latency_ms_max.has_value());
    }
    add_event_counts().run({
        {int4_array_datum(widths), false},
        {timestamptz_array_datum(buckets), false},
        {text_array_datum(sources), false},
        {text_array_datum(types), false},
        {text_array_datum(reasons, &reason_nulls), false},
        {text_array_datum(details, &detail_nulls), false},
        {uuid_array_datum(restaurants, restaurant_nulls), false},
        {int4_array_datum(writers), false},
        {int8_array_datum(counts), false},
        {float8_array_datum(delay_sums), false},
        {float8_array_datum(delay_maxes, &delay_max_nulls), false},
        {float8_array_datum(latency_maxes, &latency_max_nulls), false},
    });
}

}  // namespace

Micros EventRollups::truncated(const char* unit, Micros at) {
    const bool minute = unit[0] == 'm';
    Micros& input = minute ? minute_input_ : hour_input_;
    Micros& output = minute ? minute_output_ : hour_output_;
    if (at != input) {
        output = pg_call([&] {
            return DatumGetTimestampTz(DirectFunctionCall2(timestamptz_trunc,
                                                           PointerGetDatum(cstring_to_text(unit)),
                                                           TimestampTzGetDatum(at)));
        });
        input = at;
    }
    return output;
}

void EventRollups::Counts::add(const Counts& other) {
    events += other.events;
    delay_ms_sum += other.delay_ms_sum;
    for (auto [mine, theirs] : {std::pair{&delay_ms_max, &other.delay_ms_max},
                                std::pair{&latency_ms_max, &other.latency_ms_max}}) {
        if (theirs->has_value()) {
            *mine = std::max(mine->value_or(**theirs), **theirs);
        }
    }
}

void EventRollups::count(const PendingEvent& event) {
    EventRollupFacts facts = event.context_text
                                 ? event_rollup_facts(event.event_type, *event.context_text)
                                 : event_rollup_facts(event.event_type, event.context);
    const Micros minute = truncated("minute", event.created_at);
    Counts& c = events_[EventKey{1, minute, event.source, event.event_type, std::move(facts.reason),
                                 std::move(facts.detail),
                                 facts.per_restaurant ? event.restaurant_id : std::nullopt}];
    c.add(Counts{1, facts.delay_ms.value_or(0), facts.delay_ms, facts.latency_ms});
    if (facts.in_latency_histogram) {
        latencies_[LatencyKey{1, minute, facts.latency_pipeline,
                              latency_histogram_bucket(facts.latency_ms, sql_ln_1_02())}] += 1;
    }
}

// (An hour's delay_ms_sum is the sum of its minutes' sums: the same as adding its events one by
// one, as delays are whole milliseconds, which doubles add exactly.)
void EventRollups::add_hours() {
    std::map<EventKey, Counts> hours;
    for (const auto& [key, c] : events_) {
        EventKey hour = key;
        std::get<0>(hour) = 60;
        std::get<1>(hour) = truncated("hour", std::get<1>(key));
        hours[std::move(hour)].add(c);
    }
    events_.merge(hours);
    std::map<LatencyKey, std::int64_t> latency_hours;
    for (const auto& [key, n] : latencies_) {
        const auto& [width, bucket, pipeline, latency_bucket] = key;
        latency_hours[LatencyKey{60, truncated("hour", bucket), pipeline, latency_bucket}] += n;
    }
    latencies_.merge(latency_hours);
}

void EventRollups::flush() {
    add_hours();
    const int writer = MyBackendId;
    // The rows that exist take their counts directly; the upsert makes the others.
    std::vector<RollupAddition> additions;
    additions.reserve(events_.size());
    for (const auto& [key, c] : events_) {
        const auto& [width, bucket, source, type, reason, detail, restaurant] = key;
        additions.push_back(RollupAddition{width, bucket, source, type, reason ? &*reason : nullptr,
                                           detail ? &*detail : nullptr,
                                           restaurant ? &*restaurant : nullptr, writer, c.events,
                                           c.delay_ms_sum, c.delay_ms_max, c.latency_ms_max});
    }
    std::vector<char> added;
    add_to_existing_rollups(additions, added);
    add_event_counts_by_sql(additions, added);
    events_.clear();
    if (!latencies_.empty()) {
        std::vector<int> widths, latency_buckets, writers;
        std::vector<Micros> buckets;
        std::vector<std::string> pipelines;
        std::vector<std::int64_t> counts;
        for (const auto& [key, n] : latencies_) {
            const auto& [width, bucket, pipeline, latency_bucket] = key;
            widths.push_back(width);
            buckets.push_back(bucket);
            pipelines.emplace_back(pipeline);
            latency_buckets.push_back(latency_bucket);
            writers.push_back(writer);
            counts.push_back(n);
        }
        add_latency_counts().run({
            {int4_array_datum(widths), false},
            {timestamptz_array_datum(buckets), false},
            {text_array_datum(pipelines), false},
            {int4_array_datum(latency_buckets), false},
            {int4_array_datum(writers), false},
            {int8_array_datum(counts), false},
        });
        latencies_.clear();
    }
}

}  // namespace av3::pg
