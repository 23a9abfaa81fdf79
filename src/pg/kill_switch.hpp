// The automatic kill switch (docs/rollout-runbook.md, "The kill switch"): with
// assignment_v3.auto_rollback on, worker 0 evaluates the rollout gate every second over the
// last auto_rollback_window (never before the last clear); on a rollback verdict it trips: V3
// is out of service for every restaurant, exactly as with enabled = off (the rollout flags
// consult v3_killed()), one coordinator.auto_rollback event records the failed checks and the
// evidence, and the state is kept in assignment_v3_internal.kill_switch so that it survives a
// restart. Only clear_auto_rollback() clears it.
#pragma once

#include "core/types.hpp"

namespace av3::pg {

// True while the switch is tripped (as this process knows it).
bool v3_killed();

// Reads the state from its table when shared memory does not know it (after a restart), or
// always without shared memory. From the start of a batch (inside a transaction, SPI connected,
// the installed version the library's).
void load_kill_switch();

// Worker 0: evaluates the gate and trips the switch when it says rollback. Inside a
// transaction with SPI; returns true when it tripped (the caller tells the other processes
// once the transaction has committed: publish_trip()).
bool evaluate_kill_switch(Micros now);
void publish_trip();

// Registers the commit callback that publishes a clear (from _PG_init).
void install_kill_switch_hooks();

}  // namespace av3::pg
