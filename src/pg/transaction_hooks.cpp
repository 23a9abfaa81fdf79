#include "pg/transaction_hooks.hpp"

#include "pg/shared_state.hpp"
#include "pg/postgres.hpp"

namespace av3::pg {

namespace {

bool g_wake_pending = false;
bool g_attach_pending = false;
bool g_inventory_changed = false;
std::uint64_t g_local_generation = 0;
std::uint64_t g_transactions_ended = 0;
std::optional<TransitionCause> g_internal_write;

void on_transaction_event(XactEvent event, void* /*arg*/) {
    switch (event) {
        case XACT_EVENT_COMMIT:
        case XACT_EVENT_ABORT:
        case XACT_EVENT_PARALLEL_COMMIT:
        case XACT_EVENT_PARALLEL_ABORT:
            ++g_transactions_ended;
            break;
        default:
            break;
    }
    switch (event) {
        case XACT_EVENT_COMMIT:
        case XACT_EVENT_PARALLEL_COMMIT:
            if (g_inventory_changed) {
                bump_inventory_generation();
            }
            if (g_wake_pending) {
                wake_workers();
            }
            if (g_attach_pending) {
                extension_attached();
            }
            break;
        case XACT_EVENT_ABORT:
        case XACT_EVENT_PARALLEL_ABORT:
            if (g_inventory_changed) {
                ++g_local_generation;  // this backend may have cached the rolled-back rows
            }
            break;
        default:
            return;
    }
    g_wake_pending = false;
    g_attach_pending = false;
    g_inventory_changed = false;
    g_internal_write.reset();
}

}  // namespace

void install_transaction_hooks() {
    RegisterXactCallback(on_transaction_event, nullptr);
}

void wake_workers_at_commit() {
    g_wake_pending = true;
}

void extension_attached_at_commit() {
    g_attach_pending = true;
}

void inventory_changed_in_transaction() {
    g_inventory_changed = true;
    ++g_local_generation;
}

std::uint64_t transaction_number() {
    return g_transactions_ended;
}

std::uint64_t current_inventory_generation() {
    return inventory_generation() + g_local_generation;
}

InternalWriteScope::InternalWriteScope(TransitionCause cause) : previous_(g_internal_write) {
    g_internal_write = cause;
}

InternalWriteScope::~InternalWriteScope() {
    g_internal_write = previous_;
}

std::optional<TransitionCause> current_internal_write() {
    return g_internal_write;
}

}  // namespace av3::pg
