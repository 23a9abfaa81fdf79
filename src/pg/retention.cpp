#include "pg/retention.hpp"

#include "pg/extension_version.hpp"
#include "pg/result_set.hpp"
#include "pg/settings.hpp"
#include "pg/spi.hpp"

namespace av3::pg {

namespace {

// created_at has a BRIN index: the scan reads only the old end of the table. A rollup hour that
// straddles the cutoff is kept (it still counts events that are kept).
Statement& delete_events() {
    static Statement statement(
        "DELETE FROM assignment_v3.observability_events WHERE id IN ("
        "  SELECT id FROM assignment_v3.observability_events WHERE created_at < $1 LIMIT $2)",
        {TIMESTAMPTZOID, INT4OID}, Planning::PlanEachTime);
    return statement;
}

Statement& delete_rollups() {
    static Statement statement(
        "WITH e AS (DELETE FROM assignment_v3_internal.event_rollup "
        "           WHERE bucket < date_trunc(CASE width WHEN 1 THEN 'minute' "
        "                                                ELSE 'hour' END, $1)), "
        "     l AS (DELETE FROM assignment_v3_internal.latency_rollup "
        "           WHERE bucket < date_trunc(CASE width WHEN 1 THEN 'minute' "
        "                                                ELSE 'hour' END, $1)) "
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
