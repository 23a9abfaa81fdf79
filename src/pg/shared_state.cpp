#include "pg/shared_state.hpp"

#include "core/restaurant_share.hpp"

extern "C" {
#include "commands/dbcommands.h"
}

namespace av3::pg {

namespace {

constexpr const char* kTrancheName = "assignment_v3";

SharedState* g_state = nullptr;
int g_my_slot = -1;
shmem_request_hook_type g_prev_request_hook = nullptr;
shmem_startup_hook_type g_prev_startup_hook = nullptr;

void request_shared_memory() {
    if (g_prev_request_hook != nullptr) {
        g_prev_request_hook();
    }
    RequestAddinShmemSpace(MAXALIGN(sizeof(SharedState)));
    RequestNamedLWLockTranche(kTrancheName, 2);
}

void startup_shared_memory() {
    if (g_prev_startup_hook != nullptr) {
        g_prev_startup_hook();
    }
    LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
    bool found = false;
    g_state =
        static_cast<SharedState*>(ShmemInitStruct("assignment_v3", sizeof(SharedState), &found));
    if (!found) {
        // Also after a crash restart: every slot, the breaker and the buckets start afresh.
        memset(static_cast<void*>(g_state), 0, sizeof(SharedState));
        LWLockPadded* locks = GetNamedLWLockTranche(kTrancheName);
        g_state->lock = &locks[0].lock;
        g_state->policy_lock = &locks[1].lock;
        pg_atomic_init_u64(&g_state->inventory_generation, 1);
        for (pg_atomic_uint64& generation : g_state->schedule_generations) {
            pg_atomic_init_u64(&generation, 1);
        }
        pg_atomic_init_u64(&g_state->schedules_generation, 1);
        for (pg_atomic_uint64& keeper : g_state->restaurant_keepers) {
            pg_atomic_init_u64(&keeper, 0);
        }
    }
    LWLockRelease(AddinShmemInitLock);
}

}  // namespace

const char* worker_state_name(WorkerState state) {
    switch (state) {
        case WorkerState::Free:
            return "free";
        case WorkerState::Starting:
            return "starting";
        case WorkerState::Idle:
            return "idle";
        case WorkerState::Processing:
            return "processing";
        case WorkerState::Backoff:
            return "backoff";
        case WorkerState::Paused:
            return "paused";
    }
    return "unknown";
}

const char* launcher_state_name(LauncherState state) {
    switch (state) {
        case LauncherState::NotRunning:
            return "not running";
        case LauncherState::WaitingForDatabase:
            return "waiting for database";
        case LauncherState::WaitingForExtension:
            return "waiting for extension";
        case LauncherState::Running:
            return "running";
        case LauncherState::Paused:
            return "paused";
    }
    return "unknown";
}

SharedState* shared_state() {
    return g_state;
}

void wake_launcher() {
    if (g_state == nullptr) {
        return;
    }
    LWLockAcquire(g_state->lock, LW_SHARED);
    if (g_state->launcher_proc != nullptr) {
        SetLatch(&g_state->launcher_proc->procLatch);
    }
    LWLockRelease(g_state->lock);
}

void install_shared_memory_hooks() {
    g_prev_request_hook = shmem_request_hook;
    shmem_request_hook = request_shared_memory;
    g_prev_startup_hook = shmem_startup_hook;
    shmem_startup_hook = startup_shared_memory;
}

void wake_workers() {
    if (g_state == nullptr) {
        return;
    }
    LWLockAcquire(g_state->lock, LW_SHARED);
    for (WorkerSlot& slot : g_state->workers) {
        // Busy workers too: a latch set during a batch makes its next sleep return at once,
        // so a booking committed while the batch ran is not left waiting a poll interval.
        if (slot.proc != nullptr) {
            SetLatch(&slot.proc->procLatch);
        }
    }
    LWLockRelease(g_state->lock);
}

void set_my_worker_slot(int slot) {
    g_my_slot = slot;
}

int my_worker_slot() {
    return g_my_slot;
}

void extension_attached() {
    if (g_state == nullptr) {
        return;
    }
    LWLockAcquire(g_state->lock, LW_EXCLUSIVE);
    g_state->attach_generation++;
    g_state->extension = ExtensionPresence::Unknown;
    LWLockRelease(g_state->lock);
    // New tables, perhaps with the old restaurants' ids: no cached schedule holds.
    pg_atomic_fetch_add_u64(&g_state->schedules_generation, 1);
    wake_launcher();
}

std::uint32_t attach_generation() {
    if (g_state == nullptr) {
        return 0;
    }
    LWLockAcquire(g_state->lock, LW_SHARED);
    const std::uint32_t generation = g_state->attach_generation;
    LWLockRelease(g_state->lock);
    return generation;
}

namespace {

bool g_restore_registered = false;

void unregister_restore_session(int /*code*/, Datum /*arg*/) {
    LWLockAcquire(g_state->lock, LW_EXCLUSIVE);
    for (RestoreSession& r : g_state->restores) {
        if (r.pid == MyProcPid) {
            r.pid = 0;
        }
    }
    LWLockRelease(g_state->lock);
}

}  // namespace

void register_restore_session() {
    if (g_state == nullptr || g_restore_registered) {
        return;
    }
    LWLockAcquire(g_state->lock, LW_EXCLUSIVE);
    RestoreSession* free_entry = nullptr;
    for (RestoreSession& r : g_state->restores) {
        // An entry of a backend that is gone (it crashed before cleaning up) is free too.
        if (r.pid == 0 || BackendPidGetProc(r.pid) == nullptr) {
            free_entry = &r;
            break;
        }
    }
    if (free_entry != nullptr) {
        free_entry->pid = MyProcPid;
        free_entry->database = MyDatabaseId;
    }
    LWLockRelease(g_state->lock);
    g_restore_registered = true;
    if (free_entry != nullptr) {
        before_shmem_exit(unregister_restore_session, 0);
        ereport(LOG, (errmsg("assignment_v3: a restore into database \"%s\" began (process %d); "
                             "its workers pause until the restoring session ends",
                             get_database_name(MyDatabaseId), MyProcPid)));
    }
}

bool restore_in_progress(Oid database) {
    if (g_state == nullptr) {
        return false;
    }
    bool found = false;
    LWLockAcquire(g_state->lock, LW_SHARED);
    for (const RestoreSession& r : g_state->restores) {
        if (r.pid != 0 && r.database == database && BackendPidGetProc(r.pid) != nullptr) {
            found = true;
            break;
        }
    }
    LWLockRelease(g_state->lock);
    return found;
}

void set_current_booking(const Uuid* booking_id) {
    if (g_state == nullptr || g_my_slot < 0) {
        return;
    }
    LWLockAcquire(g_state->lock, LW_EXCLUSIVE);
    WorkerSlot& slot = g_state->workers[g_my_slot];
    slot.has_current_booking = booking_id != nullptr;
    if (booking_id != nullptr) {
        memcpy(slot.current_booking.data, booking_id->bytes.data(), UUID_LEN);
    }
    LWLockRelease(g_state->lock);
}

void bump_inventory_generation() {
    if (g_state != nullptr) {
        pg_atomic_fetch_add_u64(&g_state->inventory_generation, 1);
    }
}

std::uint64_t inventory_generation() {
    return g_state != nullptr ? pg_atomic_read_u64(&g_state->inventory_generation) : 0;
}

namespace {
// The slot of a restaurant's per-restaurant words.
std::size_t restaurant_slot(const Uuid& restaurant_id) {
    return restaurant_id.stable_hash() % kRestaurantSlots;
}

pg_atomic_uint64& schedule_slot(const Uuid& restaurant_id) {
    return g_state->schedule_generations[restaurant_slot(restaurant_id)];
}

pg_atomic_uint64& keeper_slot(const Uuid& restaurant_id) {
    return g_state->restaurant_keepers[restaurant_slot(restaurant_id)];
}
}  // namespace

std::optional<std::uint64_t> schedule_generation(const Uuid& restaurant_id) {
    if (g_state == nullptr) {
        return std::nullopt;
    }
    return pg_atomic_read_u64(&schedule_slot(restaurant_id));
}

std::optional<std::uint64_t> bump_schedule_generation(const Uuid& restaurant_id) {
    if (g_state == nullptr) {
        return std::nullopt;
    }
    return pg_atomic_fetch_add_u64(&schedule_slot(restaurant_id), 1);
}

std::optional<std::uint64_t> schedules_generation() {
    if (g_state == nullptr) {
        return std::nullopt;
    }
    return pg_atomic_read_u64(&g_state->schedules_generation);
}

void bump_schedules_generation() {
    if (g_state != nullptr) {
        pg_atomic_fetch_add_u64(&g_state->schedules_generation, 1);
    }
}

std::optional<int> restaurant_keeper(const Uuid& restaurant_id, Micros now) {
    if (g_state == nullptr) {
        return std::nullopt;
    }
    return keeper_at(pg_atomic_read_u64(&keeper_slot(restaurant_id)), now);
}

void keep_restaurants(const std::vector<Uuid>& restaurant_ids, Micros now) {
    const std::uint64_t word = keeper_word(my_worker_slot(), now + kKeepRestaurantFor);
    if (g_state == nullptr || word == 0) {
        return;
    }
    // A plain write: two restaurants sharing a slot share their keeper, which only changes who
    // tries first.
    for (const Uuid& restaurant_id : restaurant_ids) {
        pg_atomic_write_u64(&keeper_slot(restaurant_id), word);
    }
}

}  // namespace av3::pg
