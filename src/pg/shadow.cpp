#include "pg/shadow.hpp"

#include "pg/settings.hpp"
#include "pg/spi.hpp"

namespace av3::pg {

namespace {

Statement& upsert_plans() {
    static Statement statement(
        "INSERT INTO assignment_v3.shadow_plans "
        "  (booking_id, assignment_version, restaurant_id, outcome, reason, table_ids, "
        "computed_at, "
        "   legacy_outcome, legacy_table_ids) "
        "SELECT p.booking_id, p.version, p.restaurant_id, p.outcome, p.reason, "
        "       coalesce(string_to_array(p.tables, ',')::uuid[], '{}'), p.computed_at, "
        "p.legacy_outcome, "
        "       coalesce(string_to_array(p.legacy_tables, ',')::uuid[], '{}') "
        "FROM unnest($1::uuid[], $2::int[], $3::uuid[], $4::text[], $5::text[], $6::text[], "
        "$7::timestamptz[], "
        "            $8::text[], $9::text[]) "
        "  AS p(booking_id, version, restaurant_id, outcome, reason, tables, computed_at, "
        "legacy_outcome, legacy_tables) "
        "ON CONFLICT (booking_id, assignment_version) DO UPDATE SET "
        "  outcome = excluded.outcome, reason = excluded.reason, table_ids = excluded.table_ids, "
        "  computed_at = excluded.computed_at, legacy_outcome = excluded.legacy_outcome, "
        "  legacy_table_ids = excluded.legacy_table_ids",
        {UUIDARRAYOID, INT4ARRAYOID, UUIDARRAYOID, TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID,
         TIMESTAMPTZARRAYOID, TEXTARRAYOID, TEXTARRAYOID});
    return statement;
}

}  // namespace

void ShadowRecorder::plan(const RestaurantRun& run, const ClaimedBooking& booking) {
    // No rate limit in shadow: it would only measure the limiter, not the assignment.
    InvocationPlan plan = plan_invocation(booking.view, run.view_without_rate_limit(),
                                          settings::invocation_settings(), now_micros());
    if (plan.outcome == Outcome::Noop) {
        return;
    }
    Plan p{booking.view.id,
           booking.restaurant_id,
           booking.view.version,
           plan.outcome,
           std::string(plan.reason),
           {},
           now_micros(),
           {},
           {}};
    if (plan.fit.found()) {
        for (int i = 0; i < plan.fit.option->table_count; ++i) {
            p.tables.push_back(run.inventory().tables()[plan.fit.option->tables[i]].id);
        }
    }
    plans_.push_back(std::move(p));
}

void ShadowRecorder::legacy_result(const InvocationResult& result) {
    for (Plan& p : plans_) {
        if (p.booking_id == result.booking_id) {
            p.legacy_outcome = std::string(outcome_name(result.outcome));
            p.legacy_tables = result.tables;
        }
    }
}

namespace {
std::string join_ids(const std::vector<Uuid>& ids) {
    std::string joined;
    for (const Uuid& id : ids) {
        joined += (joined.empty() ? "" : ",") + id.to_string();
    }
    return joined;
}
}  // namespace

void ShadowRecorder::flush(EventBuffer& events) {
    if (plans_.empty()) {
        return;
    }
    std::vector<Uuid> bookings, restaurants;
    std::vector<int> versions;
    std::vector<std::string> outcomes, reasons, tables, legacy_outcomes, legacy_tables;
    std::vector<bool> reason_nulls, table_nulls, legacy_nulls, legacy_table_nulls;
    std::vector<Micros> computed;
    for (const Plan& p : plans_) {
        bookings.push_back(p.booking_id);
        versions.push_back(p.version);
        restaurants.push_back(p.restaurant_id);
        outcomes.emplace_back(outcome_name(p.outcome));
        reasons.push_back(p.reason);
        reason_nulls.push_back(p.reason.empty());
        tables.push_back(join_ids(p.tables));
        table_nulls.push_back(p.tables.empty());
        computed.push_back(p.computed_at);
        legacy_outcomes.push_back(p.legacy_outcome);
        legacy_nulls.push_back(p.legacy_outcome.empty());
        legacy_tables.push_back(join_ids(p.legacy_tables));
        legacy_table_nulls.push_back(p.legacy_tables.empty());

        EventContext ctx;
        ctx.add("outcome", outcome_name(p.outcome));
        if (!p.reason.empty()) {
            ctx.add("reason", p.reason);
        }
        ctx.add("strategy", "optimal_fit").add_uuids("tables", p.tables).add("version", p.version);
        events.add(source::kCoordinator, "coordinator.shadow_plan", Severity::Info, p.booking_id,
                   p.restaurant_id, std::move(ctx), p.computed_at);
    }
    upsert_plans().run({
        {uuid_array_datum(bookings), false},
        {int4_array_datum(versions), false},
        {uuid_array_datum(restaurants), false},
        {text_array_datum(outcomes), false},
        {text_array_datum(reasons, &reason_nulls), false},
        {text_array_datum(tables, &table_nulls), false},
        {timestamptz_array_datum(computed), false},
        {text_array_datum(legacy_outcomes, &legacy_nulls), false},
        {text_array_datum(legacy_tables, &legacy_table_nulls), false},
    });
    plans_.clear();
}

}  // namespace av3::pg
