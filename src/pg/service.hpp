// Whether the workers serve the current database, and if not, why (status().service): the one
// place that puts together the facts that stop them (not preloaded, a standby, paused, another
// database, versions that disagree, a restore, both pipelines off).
#pragma once

#include <string>

namespace av3::pg {

struct ServiceReport {
    std::string service;  // serving, not preloaded, standby, paused, ...
    std::string detail;   // what it means and what to do
};

// Runs inside a transaction (it reads pg_extension).
ServiceReport service_report();

}  // namespace av3::pg
