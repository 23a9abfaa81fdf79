#include "pg/extension_version.hpp"

#include "pg/error_boundary.hpp"
#include "pg/postgres.hpp"

extern "C" {
#include "access/genam.h"
#include "access/table.h"
#include "catalog/indexing.h"
#include "catalog/pg_extension.h"
#include "utils/fmgroids.h"
#include "utils/rel.h"
}

namespace av3::pg {

namespace {

// pg_extension has no syscache: an index scan by name, as get_extension_oid() does.
char* installed_version_unguarded() {
    Relation relation = table_open(ExtensionRelationId, AccessShareLock);
    ScanKeyData key;
    ScanKeyInit(&key, Anum_pg_extension_extname, BTEqualStrategyNumber, F_NAMEEQ,
                CStringGetDatum("assignment_v3"));
    SysScanDesc scan = systable_beginscan(relation, ExtensionNameIndexId, true, nullptr, 1, &key);
    HeapTuple tuple = systable_getnext(scan);
    char* version = nullptr;
    if (HeapTupleIsValid(tuple)) {
        bool is_null = false;
        Datum datum =
            heap_getattr(tuple, Anum_pg_extension_extversion, RelationGetDescr(relation), &is_null);
        if (!is_null) {
            version = TextDatumGetCString(datum);
        }
    }
    systable_endscan(scan);
    table_close(relation, AccessShareLock);
    return version;
}

}  // namespace

std::optional<std::string> installed_version() {
    const char* version = pg_call([] { return installed_version_unguarded(); });
    if (version == nullptr) {
        return std::nullopt;
    }
    return std::string(version);
}

void require_writable_current_schema(const char* function) {
    if (pg_call([] { return RecoveryInProgress(); })) {
        throw UserError(ERRCODE_READ_ONLY_SQL_TRANSACTION,
                        std::string("assignment_v3.") + function + "() cannot run on a standby",
                        "This server is in recovery (a streaming standby): bookings are assigned "
                        "and changed on the primary.",
                        "Connect to the primary, or promote this server. The statistics functions "
                        "and status() work here.");
    }
    const std::optional<std::string> installed = installed_version();
    if (installed && *installed != kLibraryVersion) {
        throw UserError(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE,
                        std::string("assignment_v3.") + function +
                            "() refuses to run: the library is version " +
                            std::string(kLibraryVersion) + ", the extension installed here " +
                            *installed,
                        "The library was installed without updating the extension's SQL objects "
                        "(or the other way round).",
                        "Run ALTER EXTENSION assignment_v3 UPDATE; the workers wait for it too.");
    }
}

}  // namespace av3::pg
