#include "pg/booking_update.hpp"

#include "pg/booking_guard.hpp"
#include "pg/direct_insert.hpp"
#include "pg/spi.hpp"
#include "pg/subtransaction.hpp"

extern "C" {
#include "access/genam.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/transam.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_constraint.h"
#include "catalog/pg_trigger.h"
#include "executor/executor.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
}

#include <algorithm>
#include <unordered_set>

namespace av3::pg {

namespace {

// (A multi-argument unnest() in FROM is syntax, ROWS FROM (unnest(a), unnest(b), ...), that
// only the unqualified name gets; the workers' empty search_path resolves it in pg_catalog.)
Statement& update_by_sql() {
    static Statement statement(
        "UPDATE assignment_v3.bookings b SET "
        "  assignment_state = u.state, status = u.status, assignment_version = u.new_version, "
        "  attempts = u.attempts, next_attempt_at = coalesce(u.next_attempt_at, "
        "b.next_attempt_at), queued_at = coalesce(u.queued_at, b.queued_at), "
        "  last_reason = u.last_reason, updated_at = u.updated_at "
        "FROM unnest($1::uuid[], $2::int[], $3::text[], $4::text[], $5::int[], "
        "                       $6::int[], $7::timestamptz[], $8::text[], $9::timestamptz[], "
        "                       $10::timestamptz[]) "
        "  AS u(id, expected_version, state, status, new_version, attempts, next_attempt_at, "
        "last_reason, updated_at, queued_at) "
        "WHERE b.id = u.id AND b.assignment_version = u.expected_version "
        "RETURNING b.id",
        {UUIDARRAYOID, INT4ARRAYOID, TEXTARRAYOID, TEXTARRAYOID, INT4ARRAYOID, INT4ARRAYOID,
         TIMESTAMPTZARRAYOID, TEXTARRAYOID, TIMESTAMPTZARRAYOID, TIMESTAMPTZARRAYOID},
        // A join with the queue: by its primary key, whatever size it had at the first batch.
        Planning::PlanEachTime);
    return statement;
}

// The ids of the rows written (as they are after the statement's triggers).
std::vector<Uuid> update_through_sql(const std::vector<BookingUpdate>& rows) {
    std::vector<Uuid> ids;
    std::vector<int> expected, new_versions, attempts;
    std::vector<std::string> states, statuses, reasons;
    std::vector<bool> reason_nulls, next_nulls, queued_nulls;
    std::vector<Micros> next_attempts, updated, queued;
    for (const BookingUpdate& row : rows) {
        ids.push_back(row.id);
        expected.push_back(row.expected_version);
        states.emplace_back(state_name(row.state));
        statuses.emplace_back(status_for_state(row.state));
        new_versions.push_back(row.new_version);
        attempts.push_back(row.attempts);
        next_attempts.push_back(row.next_attempt_at.value_or(0));
        next_nulls.push_back(!row.next_attempt_at.has_value());
        reasons.push_back(row.last_reason);
        reason_nulls.push_back(row.last_reason.empty());
        updated.push_back(row.updated_at);
        queued.push_back(row.queued_at.value_or(0));
        queued_nulls.push_back(!row.queued_at.has_value());
    }
    Rows updated_rows = update_by_sql().run({
        {uuid_array_datum(ids), false},
        {int4_array_datum(expected), false},
        {text_array_datum(states), false},
        {text_array_datum(statuses), false},
        {int4_array_datum(new_versions), false},
        {int4_array_datum(attempts), false},
        {timestamptz_array_datum(next_attempts, &next_nulls), false},
        {text_array_datum(reasons, &reason_nulls), false},
        {timestamptz_array_datum(updated), false},
        {timestamptz_array_datum(queued, &queued_nulls), false},
    });
    if (updated_rows.size() != ids.size()) {
        throw VersionConflict();
    }
    std::vector<Uuid> written;
    for (std::uint64_t i = 0; i < updated_rows.size(); ++i) {
        written.push_back(updated_rows[i].uuid(1));
    }
    return written;
}

// The columns the direct update reads or writes, by name and type.
enum Column {
    kId,
    kRestaurantId,
    kState,
    kStatus,
    kVersion,
    kAttempts,
    kNextAttemptAt,
    kQueuedAt,
    kLastReason,
    kUpdatedAt,
    kColumns
};
constexpr DirectColumn kColumnSpecs[kColumns] = {{"id", UUIDOID},
                                                 {"restaurant_id", UUIDOID},
                                                 {"assignment_state", TEXTOID},
                                                 {"status", TEXTOID},
                                                 {"assignment_version", INT4OID},
                                                 {"attempts", INT4OID},
                                                 {"next_attempt_at", TIMESTAMPTZOID},
                                                 {"queued_at", TIMESTAMPTZOID},
                                                 {"last_reason", TEXTOID},
                                                 {"updated_at", TIMESTAMPTZOID}};
// What the direct update writes (the others are read only).
constexpr Column kWritten[] = {kState,         kStatus,   kVersion,    kAttempts,
                               kNextAttemptAt, kQueuedAt, kLastReason, kUpdatedAt};
// The triggers an UPDATE fires that do nothing for the extension's own writes but check them
// (the guard: made here) or apply what the guard queued for applications (nothing, here).
constexpr const char* kAccountedTriggers[] = {"bookings_guard", "bookings_wake_workers"};

// How the direct update ended: every row written, or stopped at `stopped_at` because that row
// is another writer's business (Handover: UPDATE writes it and the rows after it), its version
// moved, or the state machine refuses the write.
enum class Outcome { Updated, Handover, VersionMoved, IllegalTransition };

// Plain data only: filled inside the guarded call, read after it.
struct DirectCall {
    const std::vector<BookingUpdate>* rows;
    TransitionCause cause;
    std::size_t stopped_at = 0;
    char from_state[NAMEDATALEN] = {};
};

bool is_written(AttrNumber attnum, const AttrNumber* attnums) {
    for (Column c : kWritten) {
        if (attnums[c] == attnum) {
            return true;
        }
    }
    return false;
}

// A foreign key's trigger on an update fires only when a column of its key changes on this
// side: true when none of the written columns is in that key.
bool key_untouched(Oid constraint, Oid relid, const AttrNumber* attnums) {
    HeapTuple tuple = SearchSysCache1(CONSTROID, ObjectIdGetDatum(constraint));
    if (!HeapTupleIsValid(tuple)) {
        return false;
    }
    const auto* con = reinterpret_cast<Form_pg_constraint>(GETSTRUCT(tuple));
    bool untouched = con->contype == CONSTRAINT_FOREIGN;
    for (const AttrNumber key_column : {Anum_pg_constraint_conkey, Anum_pg_constraint_confkey}) {
        const Oid side = key_column == Anum_pg_constraint_conkey ? con->conrelid : con->confrelid;
        if (!untouched || side != relid) {
            continue;
        }
        bool is_null = false;
        const Datum keys = SysCacheGetAttr(CONSTROID, tuple, key_column, &is_null);
        if (is_null) {
            untouched = false;
            continue;
        }
        ArrayType* array = DatumGetArrayTypeP(keys);
        const auto* key_attnums = reinterpret_cast<const int16*>(ARR_DATA_PTR(array));
        for (int i = 0; i < ARR_DIMS(array)[0]; ++i) {
            untouched = untouched && !is_written(key_attnums[i], attnums);
        }
    }
    ReleaseSysCache(tuple);
    return untouched;
}

bool eligible(Relation rel, AttrNumber* attnums) {
    // (A rule rewrites the statement: only an UPDATE can apply it.)
    if (XactIsoLevel != XACT_READ_COMMITTED || rel->rd_rel->relkind != RELKIND_RELATION ||
        rel->rd_rel->relrowsecurity || rel->rd_rel->relhasrules) {
        return false;
    }
    TupleDesc desc = RelationGetDescr(rel);
    if (desc->constr != nullptr && desc->constr->has_generated_stored) {
        return false;
    }
    if (!find_columns(rel, kColumnSpecs, kColumns, attnums)) {
        return false;
    }
    // The primary key the rows are found by: (id).
    const Oid key_index = RelationGetPrimaryKeyIndex(rel);
    if (!OidIsValid(key_index)) {
        return false;
    }
    // Table-wide rights to read and update, both (column grants: UPDATE decides, with its
    // error).
    const AclMode wanted = ACL_UPDATE | ACL_SELECT;
    if (pg_class_aclmask(RelationGetRelid(rel), GetUserId(), wanted, ACLMASK_ALL) != wanted) {
        return false;
    }
    // An UPDATE's refusal to write a published table without a replica identity.
    CheckCmdReplicaIdentity(rel, CMD_UPDATE);
    for (int i = 0; rel->trigdesc != nullptr && i < rel->trigdesc->numtriggers; ++i) {
        const Trigger& trigger = rel->trigdesc->triggers[i];
        if (!TRIGGER_FOR_UPDATE(trigger.tgtype)) {
            continue;
        }
        bool accounted = false;
        for (const char* name : kAccountedTriggers) {
            accounted = accounted || strcmp(trigger.tgname, name) == 0;
        }
        accounted =
            accounted || (trigger.tgisinternal && OidIsValid(trigger.tgconstraint) &&
                          key_untouched(trigger.tgconstraint, RelationGetRelid(rel), attnums));
        if (!accounted) {
            return false;
        }
    }
    return true;
}

bool key_index_is_id(Relation index, AttrNumber id_attnum) {
    return index->rd_index->indnkeyatts == 1 && index->rd_index->indkey.values[0] == id_attnum;
}

Datum text_value(std::string_view text) {
    return PointerGetDatum(cstring_to_text_with_len(text.data(), static_cast<int>(text.size())));
}

// The row's current version, found by the primary key under a fresh snapshot; false when gone.
bool fetch_current(Relation rel, Relation key_index, const pg_uuid_t* id, Snapshot snapshot,
                   TupleTableSlot* slot) {
    ScanKeyData key;
    ScanKeyInit(&key, 1, BTEqualStrategyNumber, F_UUID_EQ, UUIDPGetDatum(id));
    IndexScanDesc scan = index_beginscan(rel, key_index, snapshot, 1, 0);
    index_rescan(scan, &key, 1, nullptr, 0);
    const bool found = index_getnext_slot(scan, ForwardScanDirection, slot);
    index_endscan(scan);
    return found;
}

// Whether the row's current version was made by this transaction: a foreign key's check of an
// update then fires whatever changed (its insert's pending check skips a version updated since),
// so only UPDATE writes it.
bool made_by_this_transaction(TupleTableSlot* slot) {
    bool is_null = false;
    const Datum xmin = slot_getsysattr(slot, MinTransactionIdAttributeNumber, &is_null);
    return !is_null && TransactionIdIsCurrentTransactionId(DatumGetTransactionId(xmin));
}

// Writes one row: the new version from the current one, with the decided columns replaced.
Outcome write_row(const BookingUpdate& row, const AttrNumber* attnums, Relation rel,
                  Relation key_index, ResultRelInfo* rri, EState* estate, TupleTableSlot* old_slot,
                  TupleTableSlot* new_slot, DirectCall& call) {
    TupleDesc desc = RelationGetDescr(rel);
    const pg_uuid_t id = to_pg_uuid(row.id);
    for (;;) {
        Snapshot snapshot = RegisterSnapshot(GetLatestSnapshot());
        if (!fetch_current(rel, key_index, &id, snapshot, old_slot)) {
            UnregisterSnapshot(snapshot);
            return Outcome::VersionMoved;  // gone: the statement would have matched no row
        }
        slot_getallattrs(old_slot);
        if (old_slot->tts_isnull[attnums[kVersion] - 1] ||
            old_slot->tts_isnull[attnums[kState] - 1] || made_by_this_transaction(old_slot)) {
            ExecClearTuple(old_slot);
            UnregisterSnapshot(snapshot);
            return Outcome::Handover;
        }
        if (DatumGetInt32(old_slot->tts_values[attnums[kVersion] - 1]) != row.expected_version) {
            ExecClearTuple(old_slot);
            UnregisterSnapshot(snapshot);
            return Outcome::VersionMoved;
        }
        // The guard's check of the extension's own writes.
        text* from_text = DatumGetTextPP(old_slot->tts_values[attnums[kState] - 1]);
        const std::string_view from_name(VARDATA_ANY(from_text), VARSIZE_ANY_EXHDR(from_text));
        const std::optional<AssignmentState> from = parse_state(from_name);
        if (!from || !write_allowed(*from, row.state, call.cause)) {
            const std::size_t length = std::min(from_name.size(), sizeof call.from_state - 1);
            memcpy(call.from_state, from_name.data(), length);
            call.from_state[length] = '\0';
            ExecClearTuple(old_slot);
            UnregisterSnapshot(snapshot);
            return Outcome::IllegalTransition;
        }

        ExecClearTuple(new_slot);
        memcpy(new_slot->tts_values, old_slot->tts_values, sizeof(Datum) * desc->natts);
        memcpy(new_slot->tts_isnull, old_slot->tts_isnull, sizeof(bool) * desc->natts);
        auto set = [&](Column c, Datum value, bool is_null) {
            new_slot->tts_values[attnums[c] - 1] = value;
            new_slot->tts_isnull[attnums[c] - 1] = is_null;
        };
        set(kState, text_value(state_name(row.state)), false);
        set(kStatus, text_value(status_for_state(row.state)), false);
        set(kVersion, Int32GetDatum(row.new_version), false);
        set(kAttempts, Int32GetDatum(row.attempts), false);
        if (row.next_attempt_at) {
            set(kNextAttemptAt, TimestampTzGetDatum(*row.next_attempt_at), false);
        }
        if (row.queued_at) {
            set(kQueuedAt, TimestampTzGetDatum(*row.queued_at), false);
        }
        set(kLastReason, row.last_reason.empty() ? 0 : text_value(row.last_reason),
            row.last_reason.empty());
        set(kUpdatedAt, TimestampTzGetDatum(row.updated_at), false);
        ExecStoreVirtualTuple(new_slot);
        ExecMaterializeSlot(new_slot);  // its values no longer point into the old page
        if (desc->constr != nullptr) {
            ExecConstraints(rri, new_slot, estate);
        }

        estate->es_snapshot = snapshot;
        const ItemPointerData tid = old_slot->tts_tid;
        ExecClearTuple(old_slot);
        const TM_Result result =
            update_row_version(SingleTableWrite{estate, rri}, tid, new_slot, snapshot);
        ResetPerTupleExprContext(estate);
        estate->es_snapshot = InvalidSnapshot;
        UnregisterSnapshot(snapshot);
        if (result == TM_Updated) {
            continue;  // a concurrent writer committed a new version: look at that one
        }
        // Deleted since, or changed by this very command: the statement would not match it.
        return result == TM_Ok ? Outcome::Updated : Outcome::VersionMoved;
    }
}

Outcome update_rows(DirectCall& call) {
    const Oid relid = get_relname_relid("bookings", get_namespace_oid("assignment_v3", false));
    if (!OidIsValid(relid)) {
        return Outcome::Handover;
    }
    Relation rel = table_open(relid, RowExclusiveLock);
    AttrNumber attnums[kColumns];
    if (!eligible(rel, attnums)) {
        table_close(rel, NoLock);
        return Outcome::Handover;
    }
    Relation key_index = index_open(RelationGetPrimaryKeyIndex(rel), RowExclusiveLock);
    if (!key_index_is_id(key_index, attnums[kId])) {
        index_close(key_index, NoLock);
        table_close(rel, NoLock);
        return Outcome::Handover;
    }

    Bitmapset* updated_columns = nullptr;
    for (Column c : kWritten) {
        updated_columns =
            bms_add_member(updated_columns, attnums[c] - FirstLowInvalidHeapAttributeNumber);
    }
    const SingleTableWrite write = begin_single_table_write(rel, updated_columns);
    EState* estate = write.estate;
    ResultRelInfo* rri = write.result_relation;
    // Earlier writes of this transaction are seen, and the rows written here by what follows.
    CommandCounterIncrement();
    estate->es_output_cid = GetCurrentCommandId(true);

    TupleTableSlot* old_slot = table_slot_create(rel, &estate->es_tupleTable);
    TupleTableSlot* new_slot = table_slot_create(rel, &estate->es_tupleTable);
    Outcome outcome = Outcome::Updated;
    const std::vector<BookingUpdate>& rows = *call.rows;
    for (call.stopped_at = 0; call.stopped_at < rows.size(); ++call.stopped_at) {
        outcome = write_row(rows[call.stopped_at], attnums, rel, key_index, rri, estate, old_slot,
                            new_slot, call);
        if (outcome != Outcome::Updated) {
            break;
        }
    }
    end_single_table_write(write);
    index_close(key_index, NoLock);
    table_close(rel, NoLock);
    CommandCounterIncrement();
    return outcome;
}

}  // namespace

std::unordered_set<Uuid, UuidHasher> update_bookings(const std::vector<BookingUpdate>& rows,
                                                     TransitionCause cause) {
    std::unordered_set<Uuid, UuidHasher> updated;
    if (rows.empty()) {
        return updated;
    }
    std::unordered_set<Uuid, UuidHasher> distinct;
    for (const BookingUpdate& row : rows) {
        distinct.insert(row.id);
    }
    std::size_t handed_over = 0;  // the rows from here on go through UPDATE
    if (distinct.size() == rows.size()) {
        DirectCall call{&rows, cause};
        const Outcome outcome = pg_call([&call] { return update_rows(call); });
        if (outcome == Outcome::VersionMoved) {
            throw VersionConflict();
        }
        if (outcome == Outcome::IllegalTransition) {
            const BookingUpdate& row = rows[call.stopped_at];
            throw illegal_own_transition(row.id, call.from_state, state_name(row.state), cause);
        }
        handed_over = call.stopped_at;
        for (std::size_t i = 0; i < handed_over; ++i) {
            updated.insert(rows[i].id);
        }
    }
    if (handed_over < rows.size()) {
        const std::vector<BookingUpdate> rest(rows.begin() + static_cast<long>(handed_over),
                                              rows.end());
        for (const Uuid& id : update_through_sql(rest)) {
            updated.insert(id);
        }
    }
    return updated;
}

}  // namespace av3::pg
