#include "pg/shared_policies.hpp"

#include "pg/settings.hpp"
#include "pg/shared_state.hpp"
#include "pg/spi.hpp"

namespace av3::pg {

namespace {

// Used only without shared memory: each backend then has its own breaker and buckets.
CircuitBreaker g_local_breaker;
std::unordered_map<Uuid, TokenBucket, UuidHasher> g_local_buckets;

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

    CircuitBreaker& breaker() { return state_ != nullptr ? state_->breaker : g_local_breaker; }
    TokenBucket& bucket(const Uuid& restaurant_id);

private:
    SharedState* state_;
};

// Open addressing over a fixed table: a restaurant's bucket is found within kProbe slots of
// its hash; when they are all taken, the least recently refilled one is recycled (its
// restaurant starts again with a full burst, which errs on the side of serving bookings).
TokenBucket& PolicyLock::bucket(const Uuid& restaurant_id) {
    if (state_ == nullptr) {
        return g_local_buckets[restaurant_id];
    }
    constexpr int kProbe = 16;
    const pg_uuid_t key = to_pg_uuid(restaurant_id);
    const std::size_t start = restaurant_id.stable_hash() % kRateBuckets;
    RateBucketEntry* victim = nullptr;
    for (int i = 0; i < kProbe; ++i) {
        RateBucketEntry& e = state_->rate_buckets[(start + i) % kRateBuckets];
        if (e.used && memcmp(e.restaurant_id.data, key.data, UUID_LEN) == 0) {
            return e.bucket;
        }
        if (!e.used) {
            victim = &e;
            break;
        }
        if (victim == nullptr || e.bucket.refilled_at < victim->bucket.refilled_at) {
            victim = &e;
        }
    }
    victim->used = true;
    victim->restaurant_id = key;
    victim->bucket = TokenBucket{};
    return victim->bucket;
}

}  // namespace

Admission admit_v3(Micros now) {
    PolicyLock lock;
    return circuit_admit(lock.breaker(), settings::circuit_breaker_policy(), now);
}

CircuitChange record_v3_results(int successes, int failures, bool probe, Micros now) {
    PolicyLock lock;
    CircuitBreaker& breaker = lock.breaker();
    CircuitChange change = CircuitChange::None;
    const CircuitBreakerPolicy policy = settings::circuit_breaker_policy();
    // A probe's result decides; otherwise failures accumulate toward the threshold.
    if (probe && failures == 0 && successes > 0) {
        return circuit_record_success(breaker, now);
    }
    for (int i = 0; i < failures; ++i) {
        CircuitChange c = circuit_record_failure(breaker, policy, now);
        if (c != CircuitChange::None) {
            change = c;
        }
    }
    return change;
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

Micros take_rate_token(const Uuid& restaurant_id, Micros now) {
    const RatePolicy policy = settings::rate_policy();
    if (policy.per_second <= 0) {
        return 0;
    }
    PolicyLock lock;
    return take_token(lock.bucket(restaurant_id), policy, now);
}

}  // namespace av3::pg
