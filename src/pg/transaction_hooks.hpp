// Work that must wait for commit (waking workers, invalidating caches), and the marker that
// tells the bookings trigger a state write comes from the extension itself.
#pragma once

#include <optional>

#include "core/state_machine.hpp"

namespace av3::pg {

// Registers the transaction callback (once per backend, from _PG_init).
void install_transaction_hooks();

// After the current transaction commits, wake idle workers: new or rescheduled bookings.
void wake_workers_at_commit();

// After the current transaction commits, tell the launcher the extension exists here now
// (CREATE EXTENSION, ALTER EXTENSION UPDATE). Before the commit the workers could not see it.
void extension_attached_at_commit();

// Inventories or rollout overrides changed: this backend's caches are invalid now, every
// other backend's once the transaction commits.
void inventory_changed_in_transaction();

// This backend's view of the inventory generation: the shared counter plus local changes.
std::uint64_t current_inventory_generation();

// A number that changes with every transaction of this backend (it counts ended ones).
std::uint64_t transaction_number();

// While alive, writes to bookings are the extension's own, made for `cause`: the bookings
// trigger checks them against the transition table instead of refusing them. Reset at the end
// of every transaction, so that an error can never leave the door open.
class InternalWriteScope {
public:
    explicit InternalWriteScope(TransitionCause cause);
    ~InternalWriteScope();
    InternalWriteScope(const InternalWriteScope&) = delete;
    InternalWriteScope& operator=(const InternalWriteScope&) = delete;

private:
    std::optional<TransitionCause> previous_;
};

std::optional<TransitionCause> current_internal_write();

}  // namespace av3::pg
