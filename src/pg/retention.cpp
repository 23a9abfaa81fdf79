#include "pg/retention.hpp"

#include "pg/extension_version.hpp"
#include "pg/result_set.hpp"
#include "pg/settings.hpp"
#include "pg/spi.hpp"

namespace av3::pg {

namespace {

// Each pass takes up to a batch of events older than the cutoff, source by source (the sources
// are walked as a loose index scan: a few descents, however many events), each source's through
// the (source, created_at) index, and deletes them by ctid (a TID scan, whatever the planner
// thinks of a join by id on a table of this size). The BRIN index on created_at would be enough
// for a table written in time order, but not for one loaded out of order (a migration, a bulk
// load): there it matches every page range, and each pass, once a minute, read the whole table
// (2.5 s over 10 million events, docs/BENCHMARKS.md). Events are never updated, so a ctid read
// here is still the row's when the delete reaches it (and a DBA's update in between only makes
// the pass skip that row).
Statement& delete_events() {
    static Statement statement(
        "DELETE FROM assignment_v3.observability_events WHERE ctid = ANY (ARRAY("
        "  WITH RECURSIVE sources(source) AS ("
        "    SELECT min(source) FROM assignment_v3.observability_events"
        "    UNION ALL"
        "    SELECT (SELECT min(e.source) FROM assignment_v3.observability_events e"
        "            WHERE e.source > s.source)"
        "    FROM sources s WHERE s.source IS NOT NULL)"
        "  SELECT old.ctid FROM sources s CROSS JOIN LATERAL ("
        "    SELECT e.ctid FROM assignment_v3.observability_events e"
        "    WHERE e.source = s.source AND e.created_at < $1 LIMIT $2) old"
        "  LIMIT $2))",
        {TIMESTAMPTZOID, INT4OID}, Planning::PlanEachTime);
    return statement;
}

// A rollup hour that straddles the cutoff is kept (it still counts events that are kept). Each
// width is its own range of the (width, bucket) indexes; a cutoff computed per row from its
// width would read the whole table on every pass. The widths are those the tables' CHECK
// constraints allow (1 and 60): a new width must be named here too.
Statement& delete_rollups() {
    static Statement statement(
        "WITH e AS (DELETE FROM assignment_v3_internal.event_rollup "
        "           WHERE (width = 1 AND bucket < date_trunc('minute', $1)) "
        "              OR (width = 60 AND bucket < date_trunc('hour', $1))), "
        "     l AS (DELETE FROM assignment_v3_internal.latency_rollup "
        "           WHERE (width = 1 AND bucket < date_trunc('minute', $1)) "
        "              OR (width = 60 AND bucket < date_trunc('hour', $1))) "
        "DELETE FROM assignment_v3.shadow_plans WHERE computed_at < $1",
        {TIMESTAMPTZOID});
    return statement;
}

}  // namespace

Micros retention_interval() {
    const Micros retention = static_cast<Micros>(settings::event_retention_min) * kMicrosPerMinute;
    return std::clamp<Micros>(retention / 10, kMicrosPerSecond, kMicrosPerMinute);
}

PurgeResult purge_expired(int batch) {
    PurgeResult result;
    if (settings::event_retention_min <= 0) {
        return result;
    }
    const Micros cutoff =
        now_micros() - static_cast<Micros>(settings::event_retention_min) * kMicrosPerMinute;
    Rows deleted =
        delete_events().run({{TimestampTzGetDatum(cutoff), false}, {Int32GetDatum(batch), false}});
    result.events = static_cast<std::int64_t>(deleted.size());
    result.more = result.events >= batch;
    if (!result.more) {
        delete_rollups().run({{TimestampTzGetDatum(cutoff), false}});
    }
    return result;
}

}  // namespace av3::pg

extern "C" {

PG_FUNCTION_INFO_V1(av3_purge_old_events);
PGDLLEXPORT Datum av3_purge_old_events(PG_FUNCTION_ARGS) {
    return av3::pg::cpp_entry([&] {
        const int batch = PG_ARGISNULL(0) ? av3::pg::kRetentionBatch : PG_GETARG_INT32(0);
        if (batch < 1) {
            throw av3::pg::UserError(ERRCODE_INVALID_PARAMETER_VALUE,
                                     "batch must be at least 1, not " + std::to_string(batch));
        }
        av3::pg::require_writable_current_schema("purge_old_events");
        av3::pg::SpiConnection spi;
        const av3::pg::PurgeResult result = av3::pg::purge_expired(batch);
        spi.finish();
        return Int64GetDatum(result.events);
    });
}
}
