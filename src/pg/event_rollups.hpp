// Counts events into the rollups the statistics read, from C++, for the events the extension
// writes directly (pg/direct_insert.hpp): what the rollup trigger does for rows inserted with
// SQL, by the same rules (core/event_rollup.hpp), with one upsert per rollup table for a whole
// batch of events instead of a trigger and two statements per insert. test/tap/020_rollups.pl
// holds the two to identical rows.
#pragma once

#include <map>
#include <tuple>

#include "pg/event_log.hpp"

namespace av3::pg {

class EventRollups {
public:
    // Counts the event into its minute; the hours are summed from the minutes at flush().
    // The event's source and type are kept as the event's views of them (string literals).
    void count(const PendingEvent& event);
    // Adds the counts to the rollups (two statements at most) and clears them.
    void flush();

private:
    struct Counts {
        std::int64_t events = 0;
        double delay_ms_sum = 0;
        std::optional<double> delay_ms_max;
        std::optional<double> latency_ms_max;
        void add(const Counts& other);
    };
    // (width, bucket, source, event_type, reason, detail, restaurant_id)
    using EventKey =
        std::tuple<int, Micros, std::string_view, std::string_view, std::optional<std::string>,
                   std::optional<std::string>, std::optional<Uuid>>;
    // (width, bucket, pipeline, latency bucket)
    using LatencyKey = std::tuple<int, Micros, std::string_view, int>;

    // date_trunc('minute' | 'hour', at) in the session's time zone, as the SQL computes it.
    Micros truncated(const char* unit, Micros at);
    // The hour rows: the sums of the minute rows of each hour.
    void add_hours();

    std::map<EventKey, Counts> events_;
    std::map<LatencyKey, std::int64_t> latencies_;
    // The last truncation asked for, per unit: a batch's events share a minute or two.
    Micros minute_input_ = -1, minute_output_ = 0, hour_input_ = -1, hour_output_ = 0;
};

}  // namespace av3::pg
