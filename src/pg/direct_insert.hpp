// Writes rows into one of the extension's tables the way COPY FROM does (docs/architecture.md,
// "The write path"): the table access method's multi-insert, then every index of the table
// (unique and exclusion checks included), and each row's CHECK and NOT NULL constraints
// evaluated by the executor's own routine. No statement is parsed, planned or started, and no
// text is converted: the caller hands over Datums.
//
// Only where that keeps every guarantee an INSERT would: a plain table with exactly the columns
// the caller fills, without row security, rules or stored generated columns, whose insert triggers
// are all ones the caller does the work of itself (named in `accounted_triggers`, or the check
// triggers of a foreign key in `checked_foreign_keys`), and that the current role may insert into
// (checked, with the error an INSERT would raise). Otherwise nothing is written and the caller
// uses SQL.
#pragma once

#include "pg/postgres.hpp"

namespace av3::pg {

struct DirectColumn {
    const char* name;
    Oid type;
};

// A foreign key the caller has checked itself for every row it hands over, holding until the
// transaction ends what the key's own check would hold (the referenced rows locked FOR KEY SHARE
// or stronger), so its per-row check trigger is accounted for. Matched by definition, not by
// name: a key a DBA re-created over other columns or another table is someone else's rule.
struct CheckedForeignKey {
    std::vector<const char*> columns;
    const char* referenced_schema;
    const char* referenced_table;
    std::vector<const char*> referenced_columns;
};

struct DirectTarget {
    const char* schema;
    const char* table;
    std::vector<const char*> accounted_triggers;
    // The columns the caller fills, in order: a table that has others (a DBA added one, with
    // a default only an INSERT would apply) or dropped ones is not eligible.
    std::vector<DirectColumn> columns;
    std::vector<CheckedForeignKey> checked_foreign_keys = {};
};

// Sets the columns of row `row`: values[attnum - 1], nulls[attnum - 1]. Called inside the
// guarded call: it may call Postgres (building a jsonb, nextval) but must not own C++ objects.
using FillRow = void (*)(int row, Datum* values, bool* nulls, void* context);

namespace detail {
bool direct_insert_guarded(const DirectTarget& target, int rows, FillRow fill, void* context);
}

// Inserts `rows` rows; false (and nothing written) when the table is not eligible.
template <typename Fill>
bool direct_insert(const DirectTarget& target, int rows, Fill& fill) {
    return detail::direct_insert_guarded(
        target, rows,
        [](int row, Datum* values, bool* nulls, void* context) {
            (*static_cast<Fill*>(context))(row, values, nulls);
        },
        &fill);
}

// The attribute numbers of `columns` in `rel`, looked up by name (attnums[i] for columns[i]);
// false when one is missing or of another type. For the direct reads and writes that name the
// columns they use rather than take the table's order (inside a guarded call).
bool find_columns(Relation rel, const DirectColumn* columns, int count, AttrNumber* attnums);

// Whether `rel` is a table the caller may write directly (the rules above, inserts' triggers
// accounted for): inside a guarded call.
bool direct_write_eligible(Relation rel, const DirectTarget& target);

// The executor state COPY and logical replication's apply set up to write one table: its range
// table entry (with the columns an update changes, which tell index insertion what did not
// change), the result relation and its open indexes. For the direct writes (this one and
// pg/booking_update.hpp), inside their guarded calls.
struct SingleTableWrite {
    EState* estate;
    ResultRelInfo* result_relation;
};
SingleTableWrite begin_single_table_write(Relation rel, Bitmapset* updated_columns);
void end_single_table_write(const SingleTableWrite& write);

// Writes `new_version` of the row at `tid` as UPDATE's table access does (waiting for a
// concurrent writer, under `snapshot`), and its index entries where the update is not HOT.
// TM_Ok when written; otherwise what the table access method reported, nothing written.
TM_Result update_row_version(const SingleTableWrite& write, ItemPointerData tid,
                             TupleTableSlot* new_version, Snapshot snapshot);

// The sequence behind an identity column, for the caller's fill to take values from with
// nextval_internal() (INSERT privilege on the table is what an identity column asks for).
// (One table per process: the extension writes one table this way.)
Oid identity_sequence(const DirectTarget& target, const char* column);

}  // namespace av3::pg
