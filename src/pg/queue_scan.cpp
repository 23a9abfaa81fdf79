#include "pg/queue_scan.hpp"

#include "pg/direct_insert.hpp"
#include "pg/error_boundary.hpp"
#include "pg/spi.hpp"

extern "C" {
#include "access/genam.h"
#include "access/relation.h"
#include "access/table.h"
#include "access/tableam.h"
#include "catalog/namespace.h"
#include "catalog/pg_am.h"
#include "catalog/pg_index.h"
#include "executor/tuptable.h"
#include "nodes/readfuncs.h"
#include "utils/acl.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/relcache.h"
#include "utils/syscache.h"
#include "utils/rel.h"
#include "utils/ruleutils.h"
#include "utils/snapmgr.h"
}

namespace av3::pg {

namespace {

// The columns read, by name and type: the claim statement's twelve (claim.cpp, in its order),
// then the due time its condition reads.
enum Column {
    kId,
    kRestaurantId,
    kPartySize,
    kStartAt,
    kEndAt,
    kState,
    kVersion,
    kAttempts,
    kLastReason,
    kZonePreference,
    kQueuedAt,
    kStatus,
    kNextAttemptAt,
    kColumns
};
static_assert(kStatus + 1 == kClaimColumns, "the claim statement's columns come first");
constexpr DirectColumn kColumnSpecs[kColumns] = {{"id", UUIDOID},
                                                 {"restaurant_id", UUIDOID},
                                                 {"party_size", INT4OID},
                                                 {"start_at", TIMESTAMPTZOID},
                                                 {"end_at", TIMESTAMPTZOID},
                                                 {"assignment_state", TEXTOID},
                                                 {"assignment_version", INT4OID},
                                                 {"attempts", INT4OID},
                                                 {"last_reason", TEXTOID},
                                                 {"zone_preference", TEXTOID},
                                                 {"queued_at", TIMESTAMPTZOID},
                                                 {"status", TEXTOID},
                                                 {"next_attempt_at", TIMESTAMPTZOID}};

// bookings_due_idx as src/sql/schema/20_bookings.sql makes it: a btree on next_attempt_at whose
// predicate, as Postgres prints it, is this one. An index of a DBA's by that name that holds
// other rows (another predicate, another key) is not the one the statement reads.
constexpr const char* kDueIndex = "bookings_due_idx";
constexpr const char* kDuePredicate =
    "((status = 'pending'::text) AND (assignment_state = ANY (ARRAY['created'::text, "
    "'retry_scheduled'::text])))";

Oid bookings_relid() {
    const Oid schema = get_namespace_oid("assignment_v3", true);
    return OidIsValid(schema) ? get_relname_relid("bookings", schema) : InvalidOid;
}

// Whether a statement's read of `rel` is what a direct read gives: READ COMMITTED (a later
// snapshot's row locked under another isolation level is an error, not a recheck), no row
// security, every column where and as expected, and table-wide `rights` for the current role.
// Also no inheritance children (the statements read them too, the direct reads would not).
bool eligible(Relation rel, AclMode rights, AttrNumber* attnums) {
    if (XactIsoLevel != XACT_READ_COMMITTED || rel->rd_rel->relkind != RELKIND_RELATION ||
        rel->rd_rel->relrowsecurity || rel->rd_rel->relhassubclass) {
        return false;
    }
    if (!find_columns(rel, kColumnSpecs, kColumns, attnums)) {
        return false;
    }
    return pg_class_aclmask(RelationGetRelid(rel), GetUserId(), rights, ACLMASK_ALL) == rights;
}

bool due_index_is_ours(Relation rel, Relation index, AttrNumber next_attempt_at) {
    const Form_pg_index form = index->rd_index;
    // Usable as the planner would use it, checked every time: an index built concurrently is
    // empty or incomplete until valid, and one being dropped concurrently misses new rows.
    if (form->indrelid != RelationGetRelid(rel) || !form->indisvalid || !form->indisready ||
        !form->indislive) {
        return false;
    }
    // Its definition, checked once per index (a DBA's new index by that name is another
    // relation; the pg_index row's xmin tells one that took a dropped one's OID).
    static Oid checked = InvalidOid;
    static TransactionId checked_xmin = InvalidTransactionId;
    static bool ours = false;
    const TransactionId xmin = HeapTupleHeaderGetRawXmin(index->rd_indextuple->t_data);
    if (RelationGetRelid(index) == checked && xmin == checked_xmin) {
        return ours;
    }
    ours = index->rd_rel->relam == BTREE_AM_OID && form->indnatts == 1 &&
           form->indkey.values[0] == next_attempt_at && index->rd_indoption[0] == 0 &&
           RelationGetIndexExpressions(index) == NIL;
    if (ours) {
        // The predicate as stored (RelationGetIndexPredicate() gives it simplified), printed as
        // pg_get_indexdef() prints it.
        bool is_null = true;
        const Datum stored =
            SysCacheGetAttr(INDEXRELID, index->rd_indextuple, Anum_pg_index_indpred, &is_null);
        ours = !is_null &&
               strcmp(deparse_expression(
                          static_cast<Node*>(stringToNode(TextDatumGetCString(stored))),
                          deparse_context_for(RelationGetRelationName(rel), RelationGetRelid(rel)),
                          false, false),
                      kDuePredicate) == 0;
    }
    checked = RelationGetRelid(index);
    checked_xmin = xmin;
    return ours;
}

bool due_by(TupleTableSlot* slot, AttrNumber next_attempt_at, Micros now) {
    bool is_null = false;
    const Datum due = slot_getattr(slot, next_attempt_at, &is_null);
    return !is_null && DatumGetTimestampTz(due) <= now;
}

// Plain data only: filled inside the guarded call, read after it.
struct WindowCall {
    Micros now;
    int window;
    pg_uuid_t* ids = nullptr;  // palloc'd, `window` of each
    pg_uuid_t* restaurants = nullptr;
    int count = 0;
};

bool read_window(WindowCall& call) {
    const Oid relid = bookings_relid();
    if (!OidIsValid(relid)) {
        return false;
    }
    Relation rel = table_open(relid, AccessShareLock);
    AttrNumber attnums[kColumns];
    const Oid index_oid = get_relname_relid(kDueIndex, RelationGetNamespace(rel));
    if (!eligible(rel, ACL_SELECT, attnums) || !OidIsValid(index_oid)) {
        table_close(rel, NoLock);
        return false;
    }
    // (Dropped since its name was looked up, or not an index: the statement's business.)
    Relation index = try_relation_open(index_oid, AccessShareLock);
    if (index == nullptr) {
        table_close(rel, NoLock);
        return false;
    }
    if (index->rd_rel->relkind != RELKIND_INDEX ||
        !due_index_is_ours(rel, index, attnums[kNextAttemptAt])) {
        relation_close(index, NoLock);
        table_close(rel, NoLock);
        return false;
    }
    call.ids = static_cast<pg_uuid_t*>(palloc(sizeof(pg_uuid_t) * call.window));
    call.restaurants = static_cast<pg_uuid_t*>(palloc(sizeof(pg_uuid_t) * call.window));

    // As SPI runs a statement: this transaction's earlier writes seen, under a new snapshot.
    CommandCounterIncrement();
    Snapshot snapshot = RegisterSnapshot(GetLatestSnapshot());
    ScanKeyData key;
    ScanKeyInit(&key, 1, BTLessEqualStrategyNumber, F_TIMESTAMPTZ_LE,
                TimestampTzGetDatum(call.now));
    IndexScanDesc scan = index_beginscan(rel, index, snapshot, 1, 0);
    index_rescan(scan, &key, 1, nullptr, 0);
    TupleTableSlot* slot = table_slot_create(rel, nullptr);
    // The version an entry leads to is runnable and due: the predicate's and the key's columns
    // change only by updates that are not HOT, which give the row new entries.
    while (call.count < call.window && index_getnext_slot(scan, ForwardScanDirection, slot)) {
        CHECK_FOR_INTERRUPTS();
        bool id_null = false;
        bool restaurant_null = false;
        const Datum id = slot_getattr(slot, attnums[kId], &id_null);
        const Datum restaurant = slot_getattr(slot, attnums[kRestaurantId], &restaurant_null);
        if (id_null || restaurant_null) {
            continue;  // (NOT NULL columns: nothing to claim by)
        }
        call.ids[call.count] = *DatumGetUUIDP(id);
        call.restaurants[call.count] = *DatumGetUUIDP(restaurant);
        ++call.count;
    }
    ExecDropSingleTupleTableSlot(slot);
    index_endscan(scan);
    UnregisterSnapshot(snapshot);
    index_close(index, NoLock);
    table_close(rel, NoLock);
    return true;
}

// The claim statement's result columns, for tuples read back as its rows were.
TupleDesc claim_descriptor() {
    static TupleDesc desc = nullptr;
    if (desc == nullptr) {
        MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);
        TupleDesc made = CreateTemplateTupleDesc(kClaimColumns);
        for (int c = 0; c < kClaimColumns; ++c) {
            TupleDescInitEntry(made, static_cast<AttrNumber>(c + 1), kColumnSpecs[c].name,
                               kColumnSpecs[c].type, -1, 0);
        }
        MemoryContextSwitchTo(old);
        desc = made;
    }
    return desc;
}

struct LockCall {
    const pg_uuid_t* ids;  // palloc'd, `count` of them
    int count;
    Micros now;
    HeapTuple* rows = nullptr;  // palloc'd, `count` of them
    int locked = 0;
};

bool lock_rows(LockCall& call) {
    const Oid relid = bookings_relid();
    if (!OidIsValid(relid)) {
        return false;
    }
    // FOR UPDATE's table lock, and its rights: reading the rows and updating them; the
    // statement's refusal to lock in a read-only transaction is its own.
    if (XactReadOnly) {
        return false;
    }
    Relation rel = table_open(relid, RowShareLock);
    AttrNumber attnums[kColumns];
    const Oid key_oid = RelationGetPrimaryKeyIndex(rel);
    if (!eligible(rel, ACL_SELECT | ACL_UPDATE, attnums) || !OidIsValid(key_oid)) {
        table_close(rel, NoLock);
        return false;
    }
    Relation key_index = index_open(key_oid, RowShareLock);
    if (key_index->rd_index->indnkeyatts != 1 ||
        key_index->rd_index->indkey.values[0] != attnums[kId]) {
        index_close(key_index, NoLock);
        table_close(rel, NoLock);
        return false;
    }
    TupleDesc desc = claim_descriptor();
    call.rows = static_cast<HeapTuple*>(palloc(sizeof(HeapTuple) * std::max(call.count, 1)));

    CommandCounterIncrement();
    Snapshot snapshot = RegisterSnapshot(GetLatestSnapshot());
    const CommandId command = GetCurrentCommandId(true);
    IndexScanDesc scan = index_beginscan(rel, key_index, snapshot, 1, 0);
    TupleTableSlot* found = table_slot_create(rel, nullptr);
    TupleTableSlot* locked = table_slot_create(rel, nullptr);
    for (int i = 0; i < call.count; ++i) {
        CHECK_FOR_INTERRUPTS();
        ScanKeyData key;
        ScanKeyInit(&key, 1, BTEqualStrategyNumber, F_UUID_EQ, UUIDPGetDatum(&call.ids[i]));
        index_rescan(scan, &key, 1, nullptr, 0);
        if (!index_getnext_slot(scan, ForwardScanDirection, found) ||
            !due_by(found, attnums[kNextAttemptAt], call.now)) {
            continue;  // gone, or rescheduled since the window was read
        }
        // FOR UPDATE SKIP LOCKED as the executor locks a row (nodeLockRows.c): the newest
        // version, or none when another transaction holds a lock on it.
        TM_FailureData failure;
        const TM_Result result = table_tuple_lock(
            rel, &found->tts_tid, snapshot, locked, command, LockTupleExclusive, LockWaitSkip,
            TUPLE_LOCK_FLAG_LOCK_UPDATE_IN_PROGRESS | TUPLE_LOCK_FLAG_FIND_LAST_VERSION, &failure);
        ExecClearTuple(found);
        switch (result) {
            case TM_Ok:
                break;
            case TM_WouldBlock:    // another transaction's
            case TM_SelfModified:  // this transaction's own change: not claimed again
            case TM_Deleted:
                continue;
            case TM_Invisible:
                elog(ERROR, "attempted to lock invisible tuple");
                break;
            default:
                elog(ERROR, "unexpected table_tuple_lock status: %u",
                     static_cast<unsigned>(result));
                break;
        }
        // A version committed since the snapshot was locked instead: the statement's recheck
        // of its conditions (EvalPlanQual) on that version.
        if (failure.traversed) {
            bool id_null = false;
            const Datum id = slot_getattr(locked, attnums[kId], &id_null);
            if (id_null || memcmp(DatumGetUUIDP(id), &call.ids[i], sizeof(pg_uuid_t)) != 0 ||
                !due_by(locked, attnums[kNextAttemptAt], call.now)) {
                ExecClearTuple(locked);
                continue;
            }
        }
        slot_getallattrs(locked);
        Datum values[kClaimColumns];
        bool nulls[kClaimColumns];
        for (int c = 0; c < kClaimColumns; ++c) {
            values[c] = locked->tts_values[attnums[c] - 1];
            nulls[c] = locked->tts_isnull[attnums[c] - 1];
        }
        call.rows[call.locked++] = heap_form_tuple(desc, values, nulls);
        ExecClearTuple(locked);
    }
    ExecDropSingleTupleTableSlot(locked);
    ExecDropSingleTupleTableSlot(found);
    index_endscan(scan);
    UnregisterSnapshot(snapshot);
    index_close(key_index, NoLock);
    table_close(rel, NoLock);
    CommandCounterIncrement();
    return true;
}

}  // namespace

bool read_due_window(Micros now, int window, std::vector<DueBooking>* due) {
    WindowCall call{now, std::max(window, 1)};
    if (!pg_call([&call] { return read_window(call); })) {
        return false;
    }
    due->reserve(static_cast<std::size_t>(call.count));
    for (int i = 0; i < call.count; ++i) {
        due->push_back(DueBooking{from_pg_uuid(call.ids[i]), from_pg_uuid(call.restaurants[i])});
    }
    pg_call([&call] {
        pfree(call.ids);
        pfree(call.restaurants);
    });
    return true;
}

bool lock_due_bookings(const std::vector<Uuid>& ids, Micros now, std::vector<HeapTuple>* rows,
                       TupleDesc* desc) {
    LockCall call{nullptr, static_cast<int>(ids.size()), now};
    const bool done = pg_call([&] {
        auto* keys = static_cast<pg_uuid_t*>(palloc(sizeof(pg_uuid_t) * std::max(call.count, 1)));
        for (int i = 0; i < call.count; ++i) {
            keys[i] = to_pg_uuid(ids[static_cast<std::size_t>(i)]);
        }
        call.ids = keys;
        return lock_rows(call);
    });
    if (!done) {
        return false;
    }
    rows->assign(call.rows, call.rows + call.locked);
    *desc = claim_descriptor();
    return true;
}

}  // namespace av3::pg
