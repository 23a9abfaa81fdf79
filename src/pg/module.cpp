// Library entry: the GUCs, and, when preloaded, shared memory and the launcher.
#include "pg/application_writes.hpp"
#include "pg/schedule_cache.hpp"
#include "pg/kill_switch.hpp"
#include "pg/settings.hpp"
#include "pg/shared_policies.hpp"
#include "pg/shared_state.hpp"
#include "pg/transaction_hooks.hpp"
#include "pg/worker.hpp"

extern "C" {

PG_MODULE_MAGIC;

PGDLLEXPORT void _PG_init(void);

void _PG_init(void) {
    av3::pg::settings::define_all(process_shared_preload_libraries_in_progress);
    av3::pg::install_transaction_hooks();
    av3::pg::install_policy_hooks();
    av3::pg::install_application_write_hooks();
    av3::pg::ScheduleCache::install_hooks();
    av3::pg::install_kill_switch_hooks();
    if (!process_shared_preload_libraries_in_progress) {
        // Loaded on demand (CREATE EXTENSION without preloading): functions work, no worker runs;
        // attach_workers() says so when the extension is created.
        return;
    }
    av3::pg::install_shared_memory_hooks();
    if (IsBinaryUpgrade) {
        // pg_upgrade runs the server in binary-upgrade mode: nothing may write to the databases
        // then, and the extension's objects are being recreated under it. No launcher.
        return;
    }

    BackgroundWorker launcher;
    memset(&launcher, 0, sizeof launcher);
    launcher.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
    launcher.bgw_start_time = BgWorkerStart_RecoveryFinished;
    launcher.bgw_restart_time = 5;  // seconds; after a crash or pg_terminate_backend()
    strlcpy(launcher.bgw_library_name, "assignment_v3", BGW_MAXLEN);
    strlcpy(launcher.bgw_function_name, "av3_launcher_main", BGW_MAXLEN);
    strlcpy(launcher.bgw_name, "assignment_v3 launcher", BGW_MAXLEN);
    strlcpy(launcher.bgw_type, av3::pg::kLauncherType, BGW_MAXLEN);
    RegisterBackgroundWorker(&launcher);
}
}
