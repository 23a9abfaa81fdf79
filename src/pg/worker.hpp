// Coordinator workers: dynamic background workers started by the launcher, one per slot.
#pragma once

#include "pg/postgres.hpp"

namespace av3::pg {

constexpr const char* kWorkerType = "assignment_v3 worker";
constexpr const char* kLauncherType = "assignment_v3 launcher";

}  // namespace av3::pg

extern "C" {
PGDLLEXPORT void av3_worker_main(Datum main_arg);
PGDLLEXPORT void av3_launcher_main(Datum main_arg);
}
