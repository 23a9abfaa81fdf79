#include "pg/assignment_insert.hpp"

#include "pg/direct_insert.hpp"
#include "pg/settled_seatings.hpp"
#include "pg/spi.hpp"

extern "C" {
#include "access/table.h"
#include "catalog/namespace.h"
#include "miscadmin.h"
#include "utils/lsyscache.h"
#include "utils/rangetypes.h"
#include "utils/rel.h"
#include "utils/typcache.h"
}

#include <algorithm>
#include <unordered_map>

namespace av3::pg {

namespace {

Statement& insert_by_sql() {
    static Statement statement(
        "INSERT INTO assignment_v3.table_assignments "
        "  (booking_id, table_id, restaurant_id, during, pipeline, created_at) "
        "SELECT a.booking_id, a.table_id, a.restaurant_id, pg_catalog.tstzrange(a.lower, a.upper), "
        "a.pipeline, a.created_at "
        "FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::timestamptz[], "
        "                       $5::timestamptz[], $6::text[], $7::timestamptz[]) "
        "  AS a(booking_id, table_id, restaurant_id, lower, upper, pipeline, created_at)",
        {UUIDARRAYOID, UUIDARRAYOID, UUIDARRAYOID, TIMESTAMPTZARRAYOID, TIMESTAMPTZARRAYOID,
         TEXTARRAYOID, TIMESTAMPTZARRAYOID});
    return statement;
}

void insert_through_sql(const std::vector<NewAssignment>& rows) {
    std::vector<Uuid> bookings, tables, restaurants;
    std::vector<Micros> lowers, uppers, created;
    std::vector<std::string> pipelines;
    for (const NewAssignment& row : rows) {
        bookings.push_back(row.booking_id);
        tables.push_back(row.table_id);
        restaurants.push_back(row.restaurant_id);
        lowers.push_back(row.during.lower);
        uppers.push_back(row.during.upper);
        pipelines.emplace_back(row.pipeline);
        created.push_back(row.created_at);
    }
    insert_by_sql().run({
        {uuid_array_datum(bookings), false},
        {uuid_array_datum(tables), false},
        {uuid_array_datum(restaurants), false},
        {timestamptz_array_datum(lowers), false},
        {timestamptz_array_datum(uppers), false},
        {text_array_datum(pipelines), false},
        {timestamptz_array_datum(created), false},
    });
}

// The statement each row's foreign-key trigger runs, for the whole batch at once. Qualified
// operator and no type name: it runs as the table's owner, from sessions with any search_path.
Statement& lock_tables() {
    static Statement statement(
        "SELECT t.id, t.restaurant_id FROM ONLY assignment_v3.restaurant_tables t "
        "WHERE t.id OPERATOR(pg_catalog.=) ANY ($1) FOR KEY SHARE OF t",
        {UUIDARRAYOID}, Planning::PlanEachTime);
    return statement;
}

// While alive, SQL runs as the owner of restaurant_tables, as a foreign key's check does: locking
// rows FOR KEY SHARE takes an UPDATE privilege that a writer of assignments need not have.
class AsTableOwner {
public:
    AsTableOwner() {
        pg_call([this] {
            const Oid relid =
                get_relname_relid("restaurant_tables", get_namespace_oid("assignment_v3", false));
            Relation rel = table_open(relid, AccessShareLock);
            const Oid owner = rel->rd_rel->relowner;
            table_close(rel, NoLock);
            GetUserIdAndSecContext(&saved_user_, &saved_context_);
            SetUserIdAndSecContext(
                owner, saved_context_ | SECURITY_LOCAL_USERID_CHANGE | SECURITY_NOFORCE_RLS);
        });
    }
    // Also on the way out of an error: nothing after it runs with the owner's rights.
    ~AsTableOwner() { SetUserIdAndSecContext(saved_user_, saved_context_); }
    AsTableOwner(const AsTableOwner&) = delete;
    AsTableOwner& operator=(const AsTableOwner&) = delete;

private:
    Oid saved_user_ = InvalidOid;
    int saved_context_ = 0;
};

// Locks every table the rows seat FOR KEY SHARE; false when one of them is gone or belongs to
// another restaurant than its row says (the INSERT's own check will say which).
bool lock_seated_tables(const std::vector<NewAssignment>& rows) {
    std::unordered_map<Uuid, Uuid, UuidHasher> restaurant_of;
    for (const NewAssignment& row : rows) {
        const auto [it, added] = restaurant_of.emplace(row.table_id, row.restaurant_id);
        if (!added && it->second != row.restaurant_id) {
            return false;  // one table, two restaurants in one batch: only SQL can say which
        }
    }
    std::vector<Uuid> tables;
    tables.reserve(restaurant_of.size());
    for (const auto& [table, restaurant] : restaurant_of) {
        tables.push_back(table);
    }
    Rows locked;
    {
        AsTableOwner owner;
        locked = lock_tables().run({{uuid_array_datum(tables), false}});
    }
    std::size_t matched = 0;
    for (std::uint64_t i = 0; i < locked.size(); ++i) {
        const auto it = restaurant_of.find(locked[i].uuid(1));
        matched += it != restaurant_of.end() && it->second == locked[i].uuid(2) ? 1 : 0;
    }
    return matched == restaurant_of.size();
}

const DirectTarget& assignments_table() {
    static const DirectTarget target{
        "assignment_v3",
        "table_assignments",
        // The schedule caches hear of the rows from the writer
        // (ScheduleCache::seated_in_transaction); rows go in
        // unsettled and are checked against the settled ones
        // here (insert_assignments).
        {"table_assignments_changed", "table_assignments_settled_guard",
         "table_assignments_checked_against_settled"},
        {{"booking_id", UUIDOID},
         {"table_id", UUIDOID},
         {"restaurant_id", UUIDOID},
         {"during", TSTZRANGEOID},
         {"pipeline", TEXTOID},
         {"created_at", TIMESTAMPTZOID},
         {"settled", BOOLOID}},
        {{{"booking_id"}, "assignment_v3", "bookings", {"id"}},
         {{"restaurant_id", "table_id"},
          "assignment_v3",
          "restaurant_tables",
          {"restaurant_id", "id"}}}};
    return target;
}

enum AssignmentColumn {
    kBookingId,
    kTableId,
    kRestaurantId,
    kDuring,
    kPipeline,
    kCreatedAt,
    kSettled
};

Datum range_datum(TypeCacheEntry* range_type, const Interval& during) {
    // [lower, upper), as tstzrange(lower, upper) makes it.
    RangeBound lower{TimestampTzGetDatum(during.lower), false, true, true};
    RangeBound upper{TimestampTzGetDatum(during.upper), false, false, false};
#if PG_VERSION_NUM >= 160000
    return RangeTypePGetDatum(make_range(range_type, &lower, &upper, false, nullptr));
#else
    return RangeTypePGetDatum(make_range(range_type, &lower, &upper, false));
#endif
}

bool insert_directly(const std::vector<NewAssignment>& rows) {
    TypeCacheEntry* range_type =
        pg_call([] { return lookup_type_cache(TSTZRANGEOID, TYPECACHE_RANGE_INFO); });
    std::vector<pg_uuid_t> ids(rows.size() * 3);
    auto fill = [&](int row, Datum* values, bool* nulls) {
        const NewAssignment& a = rows[row];
        ids[3 * row] = to_pg_uuid(a.booking_id);
        ids[3 * row + 1] = to_pg_uuid(a.table_id);
        ids[3 * row + 2] = to_pg_uuid(a.restaurant_id);
        values[kBookingId] = UUIDPGetDatum(&ids[3 * row]);
        values[kTableId] = UUIDPGetDatum(&ids[3 * row + 1]);
        values[kRestaurantId] = UUIDPGetDatum(&ids[3 * row + 2]);
        values[kDuring] = range_datum(range_type, a.during);
        values[kPipeline] = PointerGetDatum(
            cstring_to_text_with_len(a.pipeline.data(), static_cast<int>(a.pipeline.size())));
        values[kCreatedAt] = TimestampTzGetDatum(a.created_at);
        values[kSettled] = BoolGetDatum(false);
        for (int c = kBookingId; c <= kSettled; ++c) {
            nulls[c] = false;
        }
    };
    return direct_insert(assignments_table(), static_cast<int>(rows.size()), fill);
}

}  // namespace

void insert_assignments(const std::vector<NewAssignment>& rows,
                        const std::unordered_set<Uuid, UuidHasher>& updated_bookings) {
    if (rows.empty()) {
        return;
    }
    const bool bookings_held = std::all_of(rows.begin(), rows.end(), [&](const NewAssignment& row) {
        return updated_bookings.count(row.booking_id) > 0;
    });
    if (bookings_held && lock_seated_tables(rows) && insert_directly(rows)) {
        // What the rows' AFTER trigger does, for the batch: after their index entries are in.
        std::vector<SeatingSpan> spans;
        spans.reserve(rows.size());
        for (const NewAssignment& row : rows) {
            spans.push_back({row.booking_id, row.table_id, row.restaurant_id, row.during});
        }
        AsTableOwner owner;  // the horizon is the extension's, as the trigger reads it
        check_against_settled(spans);
        return;
    }
    insert_through_sql(rows);
}

}  // namespace av3::pg
