#include "pg/service.hpp"

#include "pg/error_boundary.hpp"
#include "pg/extension_version.hpp"
#include "pg/settings.hpp"
#include "pg/shared_state.hpp"

extern "C" {
#include "commands/dbcommands.h"
}

namespace av3::pg {

ServiceReport service_report() {
    SharedState* state = shared_state();
    if (state == nullptr) {
        return {"not preloaded",
                "assignment_v3 is not in shared_preload_libraries: no worker runs; "
                "process_pending() assigns bookings on demand."};
    }
    if (pg_call([] { return RecoveryInProgress(); })) {
        return {"standby",
                "This server is a standby: no worker runs here; they start when it is promoted."};
    }
    if (settings::paused) {
        return {"paused",
                "assignment_v3.paused is on: no worker runs (no assignment, no retention)."};
    }
    const std::string here = pg_call([] { return get_database_name(MyDatabaseId); });
    if (here != settings::database) {
        return {"not served here",
                "The workers serve database \"" + std::string(settings::database) +
                    "\" (assignment_v3.database); process_pending() works here."};
    }
    const std::optional<std::string> installed = installed_version();
    if (installed && *installed != kLibraryVersion) {
        return {"version mismatch",
                "The library is version " + std::string(kLibraryVersion) + ", the extension " +
                    *installed + ": the workers wait for ALTER EXTENSION assignment_v3 UPDATE."};
    }
    if (pg_call([] { return restore_in_progress(MyDatabaseId); })) {
        return {"restoring",
                "A restore into this database is running: the workers wait until it ends."};
    }
    if (!settings::enabled && !settings::legacy_planner) {
        return {"off", "assignment_v3.enabled and assignment_v3.legacy_planner are both off."};
    }
    LWLockAcquire(state->lock, LW_SHARED);
    const LauncherState launcher = state->launcher_state;
    LWLockRelease(state->lock);
    if (launcher != LauncherState::Running) {
        return {"starting", std::string("The launcher is ") + launcher_state_name(launcher) + "."};
    }
    return {"serving", "The workers assign the bookings of this database."};
}

}  // namespace av3::pg
