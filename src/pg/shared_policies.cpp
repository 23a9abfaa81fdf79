#include "pg/shared_policies.hpp"

#include "pg/settings.hpp"
#include "pg/spi.hpp"
#include "pg/transaction_staged.hpp"

namespace av3::pg {

namespace {

// Used only without shared memory: each backend then has its own breaker and schedules.
PolicyState g_local_policies;

// Holds policy_lock (when there is shared memory) for the life of the object.
class PolicyLock {
public:
    PolicyLock() : state_(shared_state()) {
        if (state_ != nullptr) {
            LWLockAcquire(state_->policy_lock, LW_EXCLUSIVE);
        }
    }
    ~PolicyLock() {
        if (state_ != nullptr) {
            LWLockRelease(state_->policy_lock);
        }
    }
    PolicyLock(const PolicyLock&) = delete;
    PolicyLock& operator=(const PolicyLock&) = delete;

    PolicyState& policies() { return state_ != nullptr ? state_->policies : g_local_policies; }
    CircuitBreaker& breaker() { return policies().breaker; }
    RateSchedule& schedule(const Uuid& restaurant_id);
    // Logs a change of the breaker for its event.
    void log_change(CircuitChange change, bool after_probe, Micros at);

private:
    SharedState* state_;
};

// Open addressing over a fixed table: a restaurant's schedule is found within kProbe entries
// of its hash; when they are all taken, the one idle the longest is recycled (its restaurant
// starts again with a full burst, which errs on the side of serving bookings).
RateSchedule& PolicyLock::schedule(const Uuid& restaurant_id) {
    constexpr int kProbe = 16;
    PolicyState& p = policies();
    const pg_uuid_t key = to_pg_uuid(restaurant_id);
    const std::size_t start = restaurant_id.stable_hash() % kRateSchedules;
    RateScheduleEntry* victim = nullptr;
    for (int i = 0; i < kProbe; ++i) {
        RateScheduleEntry& e = p.rate_schedules[(start + i) % kRateSchedules];
        if (e.used && memcmp(e.restaurant_id.data, key.data, UUID_LEN) == 0) {
            return e.schedule;
        }
        if (!e.used) {
            victim = &e;
            break;
        }
        if (victim == nullptr || e.schedule.tat < victim->schedule.tat) {
            victim = &e;
        }
    }
    victim->used = true;
    victim->restaurant_id = key;
    victim->schedule = RateSchedule{};
    return victim->schedule;
}

void PolicyLock::log_change(CircuitChange change, bool after_probe, Micros at) {
    if (change == CircuitChange::None) {
        return;
    }
    PolicyState& p = policies();
    p.breaker_changes[p.breaker_changes_made % kBreakerChangeLog] =
        BreakerChange{change, after_probe, p.breaker.trips, at};
    p.breaker_changes_made++;
}

// What this transaction staged.
struct StagedResults {
    int successes;
    int failures;
    bool probe;
};
struct StagedSchedule {
    Uuid restaurant_id;
    RateSchedule schedule;
};
TransactionStaged<StagedResults> g_staged_results;
TransactionStaged<StagedSchedule> g_staged_schedules;
// The breaker changes this transaction records (their sequence, up to which they count as
// recorded once it commits), 0: none.
std::uint64_t g_recording_up_to = 0;

void apply_staged() {
    if (g_staged_results.empty() && g_staged_schedules.empty() && g_recording_up_to == 0) {
        return;
    }
    const Micros now = GetCurrentTimestamp();
    const CircuitBreakerPolicy policy = settings::circuit_breaker_policy();
    PolicyLock lock;
    CircuitBreaker& breaker = lock.breaker();
    g_staged_results.for_each([&](const StagedResults& r) {
        // A probe's result decides; otherwise failures accumulate toward the threshold.
        if (r.probe && r.failures == 0 && r.successes > 0) {
            lock.log_change(circuit_record_success(breaker, now), true, now);
        }
        for (int i = 0; i < r.failures; ++i) {
            const bool probing = breaker.state == CircuitState::HalfOpen;
            lock.log_change(circuit_record_failure(breaker, policy, now), probing, now);
        }
    });
    g_staged_schedules.for_each(
        [&](const StagedSchedule& s) { lock.schedule(s.restaurant_id) = s.schedule; });
    PolicyState& p = lock.policies();
    if (g_recording_up_to != 0 && p.breaker_recorder == MyProcPid) {
        p.breaker_changes_recorded = std::max(p.breaker_changes_recorded, g_recording_up_to);
        p.breaker_recorder = 0;
    }
}

void release_recording() {
    if (g_recording_up_to == 0) {
        return;
    }
    PolicyLock lock;
    if (lock.policies().breaker_recorder == MyProcPid) {
        lock.policies().breaker_recorder = 0;
    }
}

void on_transaction_event(XactEvent event, void* /*arg*/) {
    switch (event) {
        case XACT_EVENT_COMMIT:  // before the transaction's locks are released
            apply_staged();
            break;
        case XACT_EVENT_ABORT:
        case XACT_EVENT_PREPARE:  // a prepared transaction cannot apply anything later here
            release_recording();
            break;
        default:
            return;
    }
    g_staged_results.clear();
    g_staged_schedules.clear();
    g_recording_up_to = 0;
}

void on_subtransaction_event(SubXactEvent event, SubTransactionId /*sub*/,
                             SubTransactionId /*parent*/, void* /*arg*/) {
    g_staged_results.on_subtransaction_event(event);
    g_staged_schedules.on_subtransaction_event(event);
}

}  // namespace

void install_policy_hooks() {
    RegisterXactCallback(on_transaction_event, nullptr);
    RegisterSubXactCallback(on_subtransaction_event, nullptr);
}

Admission admit_v3(Micros now) {
    PolicyLock lock;
    return circuit_admit(lock.breaker(), settings::circuit_breaker_policy(), now);
}

void release_unused_probe(Micros now) {
    PolicyLock lock;
    CircuitBreaker& breaker = lock.breaker();
    if (breaker.state == CircuitState::HalfOpen) {
        breaker.probe_started_at = now - settings::circuit_breaker_policy().cooldown;
    }
}

CircuitBreaker circuit_snapshot() {
    PolicyLock lock;
    return lock.breaker();
}

void reset_circuit() {
    PolicyLock lock;
    circuit_reset(lock.breaker());
}

void stage_v3_results(int successes, int failures, bool probe) {
    if (successes == 0 && failures == 0) {
        return;
    }
    g_staged_results.stage(StagedResults{successes, failures, probe});
}

void count_failed_batch(Micros now) {
    PolicyLock lock;
    const bool probing = lock.breaker().state == CircuitState::HalfOpen;
    lock.log_change(circuit_record_failure(lock.breaker(), settings::circuit_breaker_policy(), now),
                    probing, now);
}

RateSchedule load_rate_schedule(const Uuid& restaurant_id) {
    PolicyLock lock;
    return lock.schedule(restaurant_id);
}

void stage_rate_schedule(const Uuid& restaurant_id, const RateSchedule& schedule) {
    g_staged_schedules.stage(StagedSchedule{restaurant_id, schedule});
}

std::vector<BreakerChange> take_unrecorded_breaker_changes() {
    std::vector<BreakerChange> changes;
    PolicyLock lock;
    PolicyState& p = lock.policies();
    if (p.breaker_changes_recorded >= p.breaker_changes_made) {
        return changes;
    }
    const pid_t recorder = p.breaker_recorder;
    if (recorder != 0 && recorder != MyProcPid && BackendPidGetProc(recorder) != nullptr) {
        return changes;  // another transaction writes them; if it rolls back, the next one does
    }
    // Changes older than the log are lost (more than kBreakerChangeLog unrecorded: the events
    // table itself must be failing); the newest are recorded.
    const std::uint64_t first =
        std::max(p.breaker_changes_recorded, p.breaker_changes_made > kBreakerChangeLog
                                                 ? p.breaker_changes_made - kBreakerChangeLog
                                                 : 0);
    for (std::uint64_t seq = first; seq < p.breaker_changes_made; ++seq) {
        changes.push_back(p.breaker_changes[seq % kBreakerChangeLog]);
    }
    p.breaker_recorder = MyProcPid;
    g_recording_up_to = p.breaker_changes_made;
    return changes;
}

}  // namespace av3::pg
