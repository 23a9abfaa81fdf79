// SQL functions that report the extension's state: the workers view, the circuit breaker,
// the launcher, a restaurant's rollout mode, bucket and lock key.
#include "pg/extension_version.hpp"
#include "pg/kill_switch.hpp"
#include "pg/restaurant_cache.hpp"
#include "pg/restaurant_lock.hpp"
#include "pg/result_set.hpp"
#include "pg/service.hpp"
#include "pg/settings.hpp"
#include "pg/shared_policies.hpp"
#include "pg/shared_state.hpp"
#include "pg/transaction_hooks.hpp"

extern "C" {
#include "commands/dbcommands.h"
#include "storage/backendid.h"
}

namespace av3::pg {

namespace {

Datum worker_slots(FunctionCallInfo fcinfo) {
    ResultSet out(fcinfo);
    SharedState* state = shared_state();
    if (state == nullptr) {
        return Datum(0);
    }
    WorkerSlot slots[settings::kMaxParallelLimit];
    LWLockAcquire(state->lock, LW_SHARED);
    memcpy(static_cast<void*>(slots), state->workers, sizeof slots);
    LWLockRelease(state->lock);
    for (int i = 0; i < settings::kMaxParallelLimit; ++i) {
        const WorkerSlot& s = slots[i];
        if (s.state == WorkerState::Free) {
            continue;
        }
        const WorkerCounters& c = s.counters;
        out.add({
            int4_param(i),
            s.pid != 0 ? int4_param(s.pid) : null_param(),
            text_param(worker_state_name(s.state)),
            timestamptz_param(s.started_at),
            timestamptz_param(s.config_loaded_at),
            timestamptz_param(s.last_batch_at),
            int8_param(static_cast<std::int64_t>(c.batches)),
            int8_param(static_cast<std::int64_t>(c.invocations)),
            int8_param(static_cast<std::int64_t>(c.confirmed)),
            int8_param(static_cast<std::int64_t>(c.retried)),
            int8_param(static_cast<std::int64_t>(c.manual_review)),
            int8_param(static_cast<std::int64_t>(c.noop)),
            int8_param(static_cast<std::int64_t>(c.errors)),
            int8_param(static_cast<std::int64_t>(c.legacy)),
            int8_param(static_cast<std::int64_t>(c.shadow_plans)),
            s.has_current_booking ? uuid_param(from_pg_uuid(s.current_booking)) : null_param(),
            s.last_error[0] != '\0' ? text_param(s.last_error) : null_param(),
            timestamptz_param(s.last_error_at),
        });
    }
    return Datum(0);
}

Datum circuit_breaker(FunctionCallInfo fcinfo) {
    ResultSet out(fcinfo);
    const CircuitBreaker b = circuit_snapshot();
    out.add({text_param(circuit_state_name(b.state)), int4_param(b.failures),
             int8_param(static_cast<std::int64_t>(b.trips)),
             b.state == CircuitState::Closed ? null_param() : timestamptz_param(b.opened_at),
             timestamptz_param(b.last_failure_at), bool_param(shared_state() != nullptr)});
    return Datum(0);
}

Datum launcher(FunctionCallInfo fcinfo) {
    ResultSet out(fcinfo);
    SharedState* state = shared_state();
    if (state == nullptr) {
        out.add({text_param("not preloaded"), null_param(), null_param(), null_param()});
        return Datum(0);
    }
    LWLockAcquire(state->lock, LW_SHARED);
    const LauncherState ls = state->launcher_state;
    const pid_t pid = state->launcher_pid;
    const TimestampTz started = state->launcher_started_at;
    const bool mismatch = state->version_mismatch;
    LWLockRelease(state->lock);
    // Also what status() of an older installed version shows in its launcher column.
    const char* shown = ls == LauncherState::Running && mismatch
                            ? "waiting for ALTER EXTENSION assignment_v3 UPDATE"
                            : launcher_state_name(ls);
    out.add({text_param(shown), pid != 0 ? int4_param(pid) : null_param(),
             timestamptz_param(started), text_param(settings::database)});
    return Datum(0);
}

Datum service_state(FunctionCallInfo fcinfo) {
    const ServiceReport report = service_report();
    TupleDesc desc = pg_call([&] {
        TupleDesc d = nullptr;
        if (get_call_result_type(fcinfo, nullptr, &d) != TYPEFUNC_COMPOSITE) {
            elog(ERROR, "service_state() must return a record");
        }
        return BlessTupleDesc(d);
    });
    Datum values[4] = {text_datum(report.service), text_datum(report.detail),
                       text_datum(kLibraryVersion),
                       BoolGetDatum(pg_call([] { return RecoveryInProgress(); }))};
    bool nulls[4] = {false, false, false, false};
    return pg_call([&] { return HeapTupleGetDatum(heap_form_tuple(desc, values, nulls)); });
}

}  // namespace

}  // namespace av3::pg

extern "C" {

PG_FUNCTION_INFO_V1(av3_worker_slots);
PGDLLEXPORT Datum av3_worker_slots(PG_FUNCTION_ARGS) {
    return av3::pg::cpp_entry([&] { return av3::pg::worker_slots(fcinfo); });
}

PG_FUNCTION_INFO_V1(av3_circuit_breaker);
PGDLLEXPORT Datum av3_circuit_breaker(PG_FUNCTION_ARGS) {
    return av3::pg::cpp_entry([&] { return av3::pg::circuit_breaker(fcinfo); });
}

PG_FUNCTION_INFO_V1(av3_launcher);
PGDLLEXPORT Datum av3_launcher(PG_FUNCTION_ARGS) {
    return av3::pg::cpp_entry([&] { return av3::pg::launcher(fcinfo); });
}

PG_FUNCTION_INFO_V1(av3_service_state);
PGDLLEXPORT Datum av3_service_state(PG_FUNCTION_ARGS) {
    return av3::pg::cpp_entry([&] { return av3::pg::service_state(fcinfo); });
}

PG_FUNCTION_INFO_V1(av3_reset_circuit_breaker);
PGDLLEXPORT Datum av3_reset_circuit_breaker(PG_FUNCTION_ARGS) {
    return av3::pg::cpp_entry([&] {
        av3::pg::require_writable_current_schema("reset_circuit_breaker");
        av3::pg::reset_circuit();
        return PointerGetDatum(nullptr);
    });
}

PG_FUNCTION_INFO_V1(av3_restaurant_mode);
PGDLLEXPORT Datum av3_restaurant_mode(PG_FUNCTION_ARGS) {
    return av3::pg::cpp_entry([&] {
        const av3::Uuid id = av3::pg::uuid_argument(fcinfo, 0, "restaurant_id");
        av3::pg::SpiConnection spi;
        const std::optional<std::string> installed = av3::pg::installed_version();
        if (installed && *installed == av3::pg::kLibraryVersion) {
            av3::pg::load_kill_switch();  // a tripped kill switch takes V3 out of every restaurant
        }
        const av3::pg::RestaurantInfo info = av3::pg::RestaurantCache::instance().info(id);
        if (!info.exists) {
            throw av3::pg::UserError(ERRCODE_NO_DATA_FOUND,
                                     "restaurant " + id.to_string() + " does not exist", {},
                                     "Check the id against assignment_v3.restaurants.");
        }
        const Datum mode = av3::pg::text_datum(av3::mode_name(info.mode()));
        spi.finish();
        return mode;
    });
}

PG_FUNCTION_INFO_V1(av3_rollout_bucket);
PGDLLEXPORT Datum av3_rollout_bucket(PG_FUNCTION_ARGS) {
    return av3::pg::cpp_entry([&] {
        return Int32GetDatum(
            av3::rollout_bucket(av3::pg::uuid_argument(fcinfo, 0, "restaurant_id")));
    });
}

PG_FUNCTION_INFO_V1(av3_restaurant_lock_key);
PGDLLEXPORT Datum av3_restaurant_lock_key(PG_FUNCTION_ARGS) {
    return av3::pg::cpp_entry([&] {
        const av3::pg::RestaurantLockKey key =
            av3::pg::restaurant_lock_key(av3::pg::uuid_argument(fcinfo, 0, "restaurant_id"));
        av3::pg::ResultSet out(fcinfo);
        out.add({av3::pg::int4_param(key.classid), av3::pg::int4_param(key.objid)});
        return Datum(0);
    });
}

PG_FUNCTION_INFO_V1(av3_attach_workers);
PGDLLEXPORT Datum av3_attach_workers(PG_FUNCTION_ARGS) {
    return av3::pg::cpp_entry([&] {
        av3::pg::SharedState* state = av3::pg::shared_state();
        if (state == nullptr) {
            ereport(WARNING,
                    (errmsg("assignment_v3 is not in shared_preload_libraries: no background "
                            "worker will assign "
                            "bookings"),
                     errhint("Add assignment_v3 to shared_preload_libraries and restart the "
                             "server; until then "
                             "assignment_v3.process_pending() assigns bookings on demand.")));
            return BoolGetDatum(false);
        }
        if (strcmp(get_database_name(MyDatabaseId), av3::pg::settings::database) != 0) {
            ereport(NOTICE, (errmsg("assignment_v3 workers serve database \"%s\", not this one",
                                    av3::pg::settings::database),
                             errhint("Set assignment_v3.database and restart to move them; "
                                     "assignment_v3.process_pending() works in any database.")));
            return BoolGetDatum(false);
        }
        av3::pg::extension_attached_at_commit();
        return BoolGetDatum(true);
    });
}
}

extern "C" {

// A number that no two running backends share (their PGPROC slot): the rollup rows one
// transaction updates are never updated by another at the same time.
PG_FUNCTION_INFO_V1(av3_rollup_writer);
PGDLLEXPORT Datum av3_rollup_writer(PG_FUNCTION_ARGS) {
    PG_RETURN_INT32(MyBackendId);
}
}
