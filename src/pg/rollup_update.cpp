#include "pg/rollup_update.hpp"

#include "pg/direct_insert.hpp"
#include "pg/error_boundary.hpp"
#include "pg/spi.hpp"

extern "C" {
#include "access/genam.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_am.h"
#include "common/int.h"
#include "executor/executor.h"
#include "utils/acl.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
}

#include <algorithm>
#include <cmath>

namespace av3::pg {

namespace {

const DirectTarget& rollup_table() {
    static const DirectTarget target{"assignment_v3_internal",
                                     "event_rollup",
                                     {},
                                     {{"width", INT2OID},
                                      {"bucket", TIMESTAMPTZOID},
                                      {"source", TEXTOID},
                                      {"event_type", TEXTOID},
                                      {"reason", TEXTOID},
                                      {"detail", TEXTOID},
                                      {"restaurant_id", UUIDOID},
                                      {"writer", INT4OID},
                                      {"events", INT8OID},
                                      {"delay_ms_sum", FLOAT8OID},
                                      {"delay_ms_max", FLOAT8OID},
                                      {"latency_ms_max", FLOAT8OID}}};
    return target;
}

// The table's columns, in order (rollup_table().columns), and the rollup key's, in its order.
enum Column {
    kWidth,
    kBucket,
    kSource,
    kEventType,
    kReason,
    kDetail,
    kRestaurantId,
    kWriter,
    kEvents,
    kDelayMsSum,
    kDelayMsMax,
    kLatencyMsMax
};
constexpr Column kKeyColumns[] = {kWidth,  kEventType, kBucket,       kSource,
                                  kReason, kDetail,    kRestaurantId, kWriter};
constexpr int kKeyLength = sizeof kKeyColumns / sizeof kKeyColumns[0];
constexpr Column kAdded[] = {kEvents, kDelayMsSum, kDelayMsMax, kLatencyMsMax};

// The rollup key as the extension made it: unique, NULLS NOT DISTINCT (a NULL reason is a key
// like any other, as the upsert treats it), over kKeyColumns; InvalidOid otherwise.
Oid rollup_key_index(Relation rel) {
    const Oid index_id = get_relname_relid("event_rollup_key", RelationGetNamespace(rel));
    if (!OidIsValid(index_id)) {
        return InvalidOid;
    }
    Relation index = index_open(index_id, RowExclusiveLock);
    bool matches = index->rd_index->indrelid == RelationGetRelid(rel) &&
                   index->rd_index->indisunique && index->rd_index->indnullsnotdistinct &&
                   index->rd_index->indimmediate && index->rd_index->indisvalid &&
                   index->rd_index->indnkeyatts == kKeyLength &&
                   index->rd_rel->relam == BTREE_AM_OID;
    for (int i = 0; matches && i < kKeyLength; ++i) {
        matches = index->rd_index->indkey.values[i] == kKeyColumns[i] + 1;
    }
    matches = matches && RelationGetIndexExpressions(index) == NIL &&
              RelationGetIndexPredicate(index) == NIL;
    index_close(index, NoLock);
    return matches ? index_id : InvalidOid;
}

Datum text_datum(std::string_view text) {
    return PointerGetDatum(cstring_to_text_with_len(text.data(), static_cast<int>(text.size())));
}

// The key's columns of a row: values[column], nulls[column].
void key_values(const RollupAddition& row, const pg_uuid_t* restaurant, Datum* values,
                bool* nulls) {
    values[kWidth] = Int16GetDatum(static_cast<int16>(row.width));
    values[kBucket] = TimestampTzGetDatum(row.bucket);
    values[kSource] = text_datum(row.source);
    values[kEventType] = text_datum(row.event_type);
    nulls[kReason] = row.reason == nullptr;
    values[kReason] = nulls[kReason] ? 0 : text_datum(*row.reason);
    nulls[kDetail] = row.detail == nullptr;
    values[kDetail] = nulls[kDetail] ? 0 : text_datum(*row.detail);
    nulls[kRestaurantId] = row.restaurant_id == nullptr;
    values[kRestaurantId] = nulls[kRestaurantId] ? 0 : UUIDPGetDatum(restaurant);
    values[kWriter] = Int32GetDatum(row.writer);
}

// The row of the key, if there is one, under `snapshot`.
bool find_row(Relation rel, Relation index, Snapshot snapshot, const Datum* values,
              const bool* nulls, TupleTableSlot* slot) {
    static const RegProcedure kEquals[] = {F_INT2EQ, F_TEXTEQ, F_TIMESTAMPTZ_EQ, F_TEXTEQ,
                                           F_TEXTEQ, F_TEXTEQ, F_UUID_EQ,        F_INT4EQ};
    ScanKeyData keys[kKeyLength];
    for (int i = 0; i < kKeyLength; ++i) {
        const Column c = kKeyColumns[i];
        if (nulls[c]) {
            ScanKeyEntryInitialize(&keys[i], SK_ISNULL | SK_SEARCHNULL, i + 1, InvalidStrategy,
                                   InvalidOid, InvalidOid, InvalidOid, 0);
        } else {
            ScanKeyEntryInitialize(&keys[i], 0, i + 1, BTEqualStrategyNumber, InvalidOid,
                                   index->rd_indcollation[i], kEquals[i], values[c]);
        }
    }
    IndexScanDesc scan = index_beginscan(rel, index, snapshot, kKeyLength, 0);
    index_rescan(scan, keys, kKeyLength, nullptr, 0);
    const bool found = index_getnext_slot(scan, ForwardScanDirection, slot);
    index_endscan(scan);
    return found;
}

// greatest(current, added), NULLs ignored as greatest() ignores them.
void take_greatest(Datum* value, bool* is_null, const std::optional<double>& added) {
    if (added && (*is_null || *added > DatumGetFloat8(*value))) {
        *value = Float8GetDatum(*added);
        *is_null = false;
    }
}

// Adds one row's counts to its key's row; false when there is none to add to (or a concurrent
// transaction changed or deleted it: the upsert then decides, as SQL would).
bool add_to_row(const RollupAddition& row, Relation rel, Relation index, Snapshot snapshot,
                ResultRelInfo* rri, EState* estate, TupleTableSlot* old_slot,
                TupleTableSlot* new_slot) {
    TupleDesc desc = RelationGetDescr(rel);
    Datum key[kLatencyMsMax + 1] = {};
    bool key_nulls[kLatencyMsMax + 1] = {};
    const pg_uuid_t restaurant = row.restaurant_id ? to_pg_uuid(*row.restaurant_id) : pg_uuid_t{};
    key_values(row, &restaurant, key, key_nulls);
    if (!find_row(rel, index, snapshot, key, key_nulls, old_slot)) {
        return false;
    }
    slot_getallattrs(old_slot);
    ExecClearTuple(new_slot);
    memcpy(new_slot->tts_values, old_slot->tts_values, sizeof(Datum) * desc->natts);
    memcpy(new_slot->tts_isnull, old_slot->tts_isnull, sizeof(bool) * desc->natts);
    Datum* values = new_slot->tts_values;
    bool* nulls = new_slot->tts_isnull;
    if (nulls[kEvents] || nulls[kDelayMsSum]) {
        ExecClearTuple(old_slot);
        return false;  // (NOT NULL columns: someone else's row; the upsert raises what it raises)
    }
    // (An overflow is the upsert's to raise, as int8pl and float8pl do.)
    int64 events = 0;
    const double delay_ms_sum = DatumGetFloat8(values[kDelayMsSum]) + row.delay_ms_sum;
    if (pg_add_s64_overflow(DatumGetInt64(values[kEvents]), row.events, &events) ||
        (std::isinf(delay_ms_sum) && !std::isinf(DatumGetFloat8(values[kDelayMsSum])))) {
        ExecClearTuple(old_slot);
        return false;
    }
    values[kEvents] = Int64GetDatum(events);
    values[kDelayMsSum] = Float8GetDatum(delay_ms_sum);
    take_greatest(&values[kDelayMsMax], &nulls[kDelayMsMax], row.delay_ms_max);
    take_greatest(&values[kLatencyMsMax], &nulls[kLatencyMsMax], row.latency_ms_max);
    ExecStoreVirtualTuple(new_slot);
    ExecMaterializeSlot(new_slot);  // its values no longer point into the old page
    if (desc->constr != nullptr) {
        ExecConstraints(rri, new_slot, estate);
    }

    const ItemPointerData tid = old_slot->tts_tid;
    ExecClearTuple(old_slot);
    return update_row_version(SingleTableWrite{estate, rri}, tid, new_slot, snapshot) == TM_Ok;
}

struct UpdateCall {
    const std::vector<RollupAddition>* rows;
    char* written;
};

void add_rows(const UpdateCall& call) {
    if (XactIsoLevel != XACT_READ_COMMITTED) {
        return;  // (the upsert's own rules for a snapshot that does not see the row)
    }
    const Oid namespace_id = get_namespace_oid(rollup_table().schema, true);
    const Oid relid = OidIsValid(namespace_id)
                          ? get_relname_relid(rollup_table().table, namespace_id)
                          : InvalidOid;
    if (!OidIsValid(relid)) {
        return;
    }
    Relation rel = table_open(relid, RowExclusiveLock);
    // The rights the upsert needs, whichever of its paths a row takes.
    const AclMode wanted = ACL_INSERT | ACL_UPDATE | ACL_SELECT;
    const Oid index_id = rel->trigdesc == nullptr && direct_write_eligible(rel, rollup_table()) &&
                                 pg_class_aclmask(relid, GetUserId(), wanted, ACLMASK_ALL) == wanted
                             ? rollup_key_index(rel)
                             : InvalidOid;
    if (!OidIsValid(index_id)) {
        table_close(rel, NoLock);
        return;
    }
    // An UPDATE's refusal to write a published table without a replica identity.
    CheckCmdReplicaIdentity(rel, CMD_UPDATE);
    Relation index = index_open(index_id, RowExclusiveLock);

    Bitmapset* updated_columns = nullptr;
    for (Column c : kAdded) {
        updated_columns =
            bms_add_member(updated_columns, c + 1 - FirstLowInvalidHeapAttributeNumber);
    }
    const SingleTableWrite write = begin_single_table_write(rel, updated_columns);
    EState* estate = write.estate;
    // Earlier writes of this transaction are seen, and the rows written here by what follows.
    CommandCounterIncrement();
    estate->es_output_cid = GetCurrentCommandId(true);
    Snapshot snapshot = RegisterSnapshot(GetLatestSnapshot());
    estate->es_snapshot = snapshot;
    TupleTableSlot* old_slot = table_slot_create(rel, &estate->es_tupleTable);
    TupleTableSlot* new_slot = table_slot_create(rel, &estate->es_tupleTable);
    const std::vector<RollupAddition>& rows = *call.rows;
    for (std::size_t i = 0; i < rows.size(); ++i) {
        const MemoryContext caller = MemoryContextSwitchTo(GetPerTupleMemoryContext(estate));
        call.written[i] = add_to_row(rows[i], rel, index, snapshot, write.result_relation, estate,
                                     old_slot, new_slot);
        MemoryContextSwitchTo(caller);
        ResetPerTupleExprContext(estate);
    }
    estate->es_snapshot = InvalidSnapshot;
    UnregisterSnapshot(snapshot);
    end_single_table_write(write);
    index_close(index, NoLock);
    table_close(rel, NoLock);
    CommandCounterIncrement();
}

}  // namespace

void add_to_existing_rollups(const std::vector<RollupAddition>& rows, std::vector<char>& written) {
    written.assign(rows.size(), 0);
    if (rows.empty()) {
        return;
    }
    const UpdateCall call{&rows, written.data()};
    pg_call([&call] { add_rows(call); });
}

}  // namespace av3::pg
