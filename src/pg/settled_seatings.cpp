#include "pg/settled_seatings.hpp"

#include "pg/extension_version.hpp"
#include "pg/row_trigger.hpp"
#include "pg/settings.hpp"
#include "pg/spi.hpp"

extern "C" {
#include "utils/datum.h"
#include "utils/rangetypes.h"
#include "utils/typcache.h"
}

namespace av3::pg {

namespace {

// Set while this backend's settle pass runs its UPDATE: the only writer allowed to settle.
bool settle_pass_running = false;

class SettlePassScope {
public:
    SettlePassScope() { settle_pass_running = true; }
    ~SettlePassScope() { settle_pass_running = false; }
    SettlePassScope(const SettlePassScope&) = delete;
    SettlePassScope& operator=(const SettlePassScope&) = delete;
};

// No row: nothing was ever settled, no seating needs the check.
Statement& read_horizon() {
    static Statement statement("SELECT horizon FROM assignment_v3_internal.settled_horizon", {});
    return statement;
}

// A settled seating of the table that overlaps [lower, upper): through the (restaurant_id,
// lower(during)) index, seatings starting at most kLongestSettledSeating before `lower`.
Statement& find_settled_overlap() {
    static Statement statement(
        "SELECT a.booking_id, pg_catalog.lower(a.during), pg_catalog.upper(a.during) "
        "FROM assignment_v3.table_assignments a "
        "WHERE a.restaurant_id OPERATOR(pg_catalog.=) $1 "
        "  AND pg_catalog.lower(a.during) OPERATOR(pg_catalog.>=) $2 "
        "  AND pg_catalog.lower(a.during) OPERATOR(pg_catalog.<) $3 "
        "  AND pg_catalog.upper(a.during) OPERATOR(pg_catalog.>) $4 "
        "  AND a.table_id OPERATOR(pg_catalog.=) $5 AND a.settled LIMIT 1",
        {UUIDOID, TIMESTAMPTZOID, TIMESTAMPTZOID, TIMESTAMPTZOID, UUIDOID});
    return statement;
}

// The seatings to settle, through the constraint's GiST index (its predicate is NOT settled).
Statement& find_ended() {
    static Statement statement(
        "SELECT pg_catalog.array_agg(s.ctid) FROM ("
        "  SELECT a.ctid FROM assignment_v3.table_assignments a"
        "  WHERE NOT a.settled"
        "    AND a.during OPERATOR(pg_catalog.&&) pg_catalog.tstzrange(NULL, $1)"
        "    AND pg_catalog.upper(a.during) OPERATOR(pg_catalog.<=) $1"
        "    AND (pg_catalog.upper(a.during) OPERATOR(pg_catalog.-) pg_catalog.lower(a.during))"
        "        OPERATOR(pg_catalog.<=) pg_catalog.make_interval(hours => 28)"
        "  LIMIT $2) s",
        {TIMESTAMPTZOID, INT4OID}, Planning::PlanEachTime);
    return statement;
}

// Raises the horizon to the cutoff (each pass: a restore made with --disable-triggers brings
// settled rows back without it). Never lowers it (a longer settle_after makes an earlier
// cutoff): the rows settled before still end by the old horizon.
Statement& raise_horizon() {
    static Statement statement(
        "INSERT INTO assignment_v3_internal.settled_horizon AS h (horizon) VALUES ($1) "
        "ON CONFLICT (singleton) DO UPDATE SET horizon = excluded.horizon "
        "WHERE h.horizon OPERATOR(pg_catalog.<) excluded.horizon",
        {TIMESTAMPTZOID});
    return statement;
}

// Settles, after the horizon was raised in the same transaction. The conditions are checked
// again: a row may have changed since it was found.
Statement& settle() {
    static Statement statement(
        "UPDATE assignment_v3.table_assignments a SET settled = true "
        "WHERE a.ctid OPERATOR(pg_catalog.=) ANY ($2) AND NOT a.settled"
        "  AND pg_catalog.upper(a.during) OPERATOR(pg_catalog.<=) $1"
        "  AND (pg_catalog.upper(a.during) OPERATOR(pg_catalog.-) pg_catalog.lower(a.during))"
        "      OPERATOR(pg_catalog.<=) pg_catalog.make_interval(hours => 28)",
        {TIMESTAMPTZOID, TIDARRAYOID}, Planning::PlanEachTime);
    return statement;
}

std::optional<Micros> settle_horizon() {
    Rows row = read_horizon().run_latest_committed({});
    if (row.empty()) {
        return std::nullopt;
    }
    return row[0].timestamptz(1);
}

std::optional<SettledSeating> settled_overlap(Micros horizon, const Uuid& restaurant_id,
                                              const Uuid& table_id, const Interval& during) {
    if (during.lower >= horizon) {
        return std::nullopt;  // every settled seating ends by the horizon
    }
    Rows found = find_settled_overlap().run_latest_committed(
        {{uuid_datum(restaurant_id), false},
         {TimestampTzGetDatum(during.lower - kLongestSettledSeating), false},
         {TimestampTzGetDatum(during.upper), false},
         {TimestampTzGetDatum(during.lower), false},
         {uuid_datum(table_id), false}},
        1);
    if (found.empty()) {
        return std::nullopt;
    }
    return SettledSeating{found[0].uuid(1),
                          Interval{found[0].timestamptz(2), found[0].timestamptz(3)}};
}

[[noreturn]] void refuse_overlap(const SeatingSpan& row, const SettledSeating& settled) {
    throw UserError(
        ERRCODE_EXCLUSION_VIOLATION,
        "conflicting key value violates exclusion constraint "
        "\"table_assignments_no_double_booking\"",
        "Table " + row.table_id.to_string() + " for booking " + row.booking_id.to_string() +
            " at [" + timestamptz_text(row.during.lower) + ", " +
            timestamptz_text(row.during.upper) + ") overlaps the settled seating of booking " +
            settled.booking_id.to_string() + " at [" + timestamptz_text(settled.during.lower) +
            ", " + timestamptz_text(settled.during.upper) + ").",
        "A table seats one booking at a time, in the past too; choose another table or time.");
}

}  // namespace

std::optional<SettledSeating> find_settled_seating(const Uuid& restaurant_id, const Uuid& table_id,
                                                   const Interval& during) {
    const std::optional<Micros> horizon = settle_horizon();
    if (!horizon) {
        return std::nullopt;
    }
    return settled_overlap(*horizon, restaurant_id, table_id, during);
}

void check_against_settled(const std::vector<SeatingSpan>& rows) {
    if (rows.empty()) {
        return;
    }
    const std::optional<Micros> horizon = settle_horizon();
    if (!horizon) {
        return;
    }
    for (const SeatingSpan& row : rows) {
        if (std::optional<SettledSeating> settled =
                settled_overlap(*horizon, row.restaurant_id, row.table_id, row.during)) {
            refuse_overlap(row, *settled);
        }
    }
}

SettleResult settle_ended_seatings(int batch) {
    SettleResult result;
    if (settings::settle_after_min <= 0) {
        return result;
    }
    const Micros cutoff =
        now_micros() - static_cast<Micros>(settings::settle_after_min) * kMicrosPerMinute;
    raise_horizon().run({{TimestampTzGetDatum(cutoff), false}});
    Rows found =
        find_ended().run({{TimestampTzGetDatum(cutoff), false}, {Int32GetDatum(batch), false}});
    if (found.empty() || found[0].is_null(1)) {
        return result;  // no write to table_assignments: nothing for the schedule caches to hear of
    }
    // The ctids outlive the statement that read them.
    const Datum ctids = pg_call([&] {
        bool is_null = false;
        const Datum d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &is_null);
        return datumCopy(d, false, -1);
    });
    SettlePassScope pass;
    const Rows settled = settle().run({{TimestampTzGetDatum(cutoff), false}, {ctids, false}});
    result.seatings = static_cast<std::int64_t>(settled.size());
    result.more = result.seatings >= batch;
    return result;
}

namespace {

struct AssignmentColumns {
    int booking_id, table_id, restaurant_id, during, settled;

    explicit AssignmentColumns(TupleDesc desc)
        : booking_id(column(desc, "booking_id")),
          table_id(column(desc, "table_id")),
          restaurant_id(column(desc, "restaurant_id")),
          during(column(desc, "during")),
          settled(column(desc, "settled")) {}

    static int column(TupleDesc desc, const char* name) {
        return column_number(desc, "table_assignments", name);
    }
};

Interval range_bounds(Datum range) {
    return pg_call([range] {
        RangeType* r = DatumGetRangeTypeP(range);
        TypeCacheEntry* type = lookup_type_cache(RangeTypeGetOid(r), TYPECACHE_RANGE_INFO);
        RangeBound lower, upper;
        bool empty = false;
        range_deserialize(type, r, &lower, &upper, &empty);
        return Interval{DatumGetTimestampTz(lower.val), DatumGetTimestampTz(upper.val)};
    });
}

SeatingSpan seating_of(HeapTuple tuple, TupleDesc desc, const AssignmentColumns& c) {
    Row row(tuple, desc);
    return SeatingSpan{row.uuid(c.booking_id), row.uuid(c.table_id), row.uuid(c.restaurant_id),
                       range_bounds(row.datum(c.during))};
}

// BEFORE INSERT OR UPDATE, FOR EACH ROW.
Datum guard_settled(FunctionCallInfo fcinfo) {
    TriggerData* trigger =
        row_trigger_data(fcinfo, "settled_seatings_guard", TriggerTiming::Before);
    TupleDesc desc = trigger->tg_relation->rd_att;
    const AssignmentColumns c(desc);
    if (TRIGGER_FIRED_BY_INSERT(trigger->tg_event)) {
        HeapTuple tuple = trigger->tg_trigtuple;
        if (!Row(tuple, desc).boolean(c.settled)) {
            return PointerGetDatum(tuple);
        }
        // A restore's (or anyone's) settled row comes in unsettled, checked by the constraint
        // like any new seating, and settles again on a later pass.
        RowEdit edit;
        edit.set(c.settled, BoolGetDatum(false));
        return PointerGetDatum(edit.apply(tuple, desc));
    }
    HeapTuple old_tuple = trigger->tg_trigtuple;
    HeapTuple new_tuple = trigger->tg_newtuple;
    const bool was_settled = Row(old_tuple, desc).boolean(c.settled);
    const bool is_settled = Row(new_tuple, desc).boolean(c.settled);
    if ((!was_settled && !is_settled) || settle_pass_running) {
        return PointerGetDatum(new_tuple);
    }
    const SeatingSpan before = seating_of(old_tuple, desc, c);
    const SeatingSpan after = seating_of(new_tuple, desc, c);
    const bool moved = before.table_id != after.table_id ||
                       before.during.lower != after.during.lower ||
                       before.during.upper != after.during.upper;
    const std::string seating = "the seating of booking " + before.booking_id.to_string() +
                                " at table " + before.table_id.to_string();
    if (!was_settled) {
        throw UserError(
            ERRCODE_CHECK_VIOLATION, seating + " cannot be settled by an UPDATE",
            "Only assignment_v3.settle_seatings() settles seatings (worker 0 runs it), "
            "once they ended more than assignment_v3.settle_after ago.",
            "Leave settled as it is; lower assignment_v3.settle_after to settle sooner.");
    }
    if (!is_settled || moved) {
        throw UserError(
            ERRCODE_CHECK_VIOLATION,
            seating + " is settled: its table, time and settled cannot change",
            "It ended more than assignment_v3.settle_after ago and left the double-booking index.",
            "To correct it, delete its row and insert the corrected one (a new seating is checked "
            "against every other seating, settled or not).");
    }
    return PointerGetDatum(new_tuple);
}

// AFTER INSERT OR UPDATE OF table_id, during, FOR EACH ROW WHEN (NOT NEW.settled).
Datum check_new_seating(FunctionCallInfo fcinfo) {
    TriggerData* trigger =
        row_trigger_data(fcinfo, "seating_checked_against_settled", TriggerTiming::After);
    TupleDesc desc = trigger->tg_relation->rd_att;
    const AssignmentColumns c(desc);
    HeapTuple tuple =
        TRIGGER_FIRED_BY_UPDATE(trigger->tg_event) ? trigger->tg_newtuple : trigger->tg_trigtuple;
    const std::vector<SeatingSpan> rows{seating_of(tuple, desc, c)};
    SpiConnection spi;
    check_against_settled(rows);
    spi.finish();
    return PointerGetDatum(nullptr);
}

}  // namespace

}  // namespace av3::pg

extern "C" {

PG_FUNCTION_INFO_V1(av3_settled_seatings_guard);
PGDLLEXPORT Datum av3_settled_seatings_guard(PG_FUNCTION_ARGS) {
    return av3::pg::cpp_entry([&] { return av3::pg::guard_settled(fcinfo); });
}

PG_FUNCTION_INFO_V1(av3_seating_checked_against_settled);
PGDLLEXPORT Datum av3_seating_checked_against_settled(PG_FUNCTION_ARGS) {
    return av3::pg::cpp_entry([&] { return av3::pg::check_new_seating(fcinfo); });
}

PG_FUNCTION_INFO_V1(av3_settle_seatings);
PGDLLEXPORT Datum av3_settle_seatings(PG_FUNCTION_ARGS) {
    return av3::pg::cpp_entry([&] {
        const int batch = PG_ARGISNULL(0) ? av3::pg::kSettleBatch : PG_GETARG_INT32(0);
        if (batch < 1) {
            throw av3::pg::UserError(ERRCODE_INVALID_PARAMETER_VALUE,
                                     "batch must be at least 1, not " + std::to_string(batch));
        }
        av3::pg::require_writable_current_schema("settle_seatings");
        av3::pg::SpiConnection spi;
        const av3::pg::SettleResult result = av3::pg::settle_ended_seatings(batch);
        spi.finish();
        return Int64GetDatum(result.seatings);
    });
}
}
