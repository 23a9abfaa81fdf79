// Backoff, circuit breaker, rate schedule and covers: the small policies of the coordinator.
#include <gtest/gtest.h>

#include <set>

#include "core/backoff.hpp"
#include "core/circuit_breaker.hpp"
#include "core/covers.hpp"
#include "core/rate_schedule.hpp"

namespace av3 {
namespace {

TEST(Backoff, GrowsExponentiallyWithinEqualJitterAndCaps) {
    BackoffPolicy policy{1000, 16000};
    for (std::uint64_t seed = 0; seed < 200; ++seed) {
        Micros raw = 1000;
        for (int attempt = 1; attempt <= 10; ++attempt) {
            Micros d = retry_delay(policy, attempt, seed);
            EXPECT_GE(d, raw / 2) << attempt;
            EXPECT_LE(d, raw) << attempt;
            raw = std::min<Micros>(raw * 2, 16000);
        }
    }
}

TEST(Backoff, IsReproducibleForABookingAndSpreadsAcrossBookings) {
    BackoffPolicy policy{1000000, 60000000};
    EXPECT_EQ(retry_delay(policy, 3, 42), retry_delay(policy, 3, 42));
    std::set<Micros> distinct;
    for (std::uint64_t seed = 0; seed < 100; ++seed) {
        distinct.insert(retry_delay(policy, 3, seed));
    }
    EXPECT_GT(distinct.size(), 90u);
}

TEST(Backoff, SurvivesHugeAttemptsWithoutOverflow) {
    BackoffPolicy policy{kMicrosPerSecond, 5 * kMicrosPerMinute};
    Micros d = retry_delay(policy, 1000000, 7);
    EXPECT_GE(d, policy.max / 2);
    EXPECT_LE(d, policy.max);
}

TEST(CircuitBreaker, TripsOnceAtThresholdWithinTheWindow) {
    CircuitBreaker b;
    CircuitBreakerPolicy p{3, 1000, 500};
    EXPECT_EQ(circuit_admit(b, p, 0), Admission::Allow);
    EXPECT_EQ(circuit_record_failure(b, p, 10), CircuitChange::None);
    EXPECT_EQ(circuit_record_failure(b, p, 20), CircuitChange::None);
    EXPECT_EQ(circuit_record_failure(b, p, 30), CircuitChange::Opened);
    EXPECT_EQ(b.state, CircuitState::Open);
    // Further failures while open report nothing new.
    EXPECT_EQ(circuit_record_failure(b, p, 40), CircuitChange::None);
    EXPECT_EQ(b.trips, 1u);
    EXPECT_EQ(circuit_admit(b, p, 100), Admission::Deny);
}

TEST(CircuitBreaker, FailuresOutsideTheWindowDoNotAccumulate) {
    CircuitBreaker b;
    CircuitBreakerPolicy p{3, 100, 500};
    circuit_record_failure(b, p, 0);
    circuit_record_failure(b, p, 50);
    EXPECT_EQ(circuit_record_failure(b, p, 500), CircuitChange::None);  // new window
    EXPECT_EQ(b.state, CircuitState::Closed);
}

TEST(CircuitBreaker, HalfOpenProbeClosesOrReopens) {
    CircuitBreaker b;
    CircuitBreakerPolicy p{1, 1000, 500};
    EXPECT_EQ(circuit_record_failure(b, p, 0), CircuitChange::Opened);
    EXPECT_EQ(circuit_admit(b, p, 499), Admission::Deny);
    EXPECT_EQ(circuit_admit(b, p, 500), Admission::Probe);
    EXPECT_EQ(b.state, CircuitState::HalfOpen);
    EXPECT_EQ(circuit_admit(b, p, 501), Admission::Deny);  // one probe at a time
    EXPECT_EQ(circuit_record_failure(b, p, 510), CircuitChange::Opened);
    EXPECT_EQ(b.trips, 2u);
    EXPECT_EQ(circuit_admit(b, p, 1010), Admission::Probe);
    EXPECT_EQ(circuit_record_success(b, 1020), CircuitChange::Closed);
    EXPECT_EQ(circuit_admit(b, p, 1030), Admission::Allow);
    EXPECT_EQ(circuit_record_success(b, 1040), CircuitChange::None);
}

TEST(CircuitBreaker, AProbeLostWithItsProcessIsReplacedAfterACooldown) {
    CircuitBreaker b;
    CircuitBreakerPolicy p{1, 1000, 500};
    circuit_record_failure(b, p, 0);
    EXPECT_EQ(circuit_admit(b, p, 600), Admission::Probe);
    EXPECT_EQ(circuit_admit(b, p, 1000), Admission::Deny);
    EXPECT_EQ(circuit_admit(b, p, 1100), Admission::Probe);
}

TEST(RateSchedule, AdmitsTheBurstThenReservesOneSlotPerWaiter) {
    RateSchedule schedule;
    RatePolicy policy{10, 3};  // 10/s (one per 100 ms), burst 3
    for (int i = 0; i < 3; ++i) {
        EXPECT_TRUE(schedule_invocation(schedule, policy, 0).admitted) << i;
    }
    // The k-th waiter is due k intervals after the first free slot, not "in a moment".
    for (int k = 1; k <= 5; ++k) {
        const RateDecision d = schedule_invocation(schedule, policy, 0);
        EXPECT_FALSE(d.admitted);
        EXPECT_EQ(d.slot, k * 100000) << k;
    }
}

TEST(RateSchedule, ABacklogDrainsAtTheRateWithOneRetryPerWaiter) {
    // 600 bookings due at once, 50/s with a burst of 50: the first 50 now, then one every
    // 20 ms; each waiter comes back at its slot and is admitted without another reservation.
    RateSchedule schedule;
    RatePolicy policy{50, 50};
    int admitted_first = 0;
    Micros last_slot = 0;
    for (int i = 0; i < 600; ++i) {
        const RateDecision d = schedule_invocation(schedule, policy, 0);
        if (d.admitted) {
            ++admitted_first;
        } else {
            EXPECT_GT(d.slot, last_slot);
            last_slot = d.slot;
        }
    }
    EXPECT_EQ(admitted_first, 50);
    EXPECT_EQ(last_slot, 550 * 20000);  // 11 s: N / r after the burst
    // Once the reservations have passed, the schedule is idle again: a burst is admitted.
    EXPECT_TRUE(schedule_invocation(schedule, policy, last_slot + 2 * kMicrosPerSecond).admitted);
}

TEST(RateSchedule, RefillsWithTime) {
    RateSchedule schedule;
    RatePolicy policy{10, 1};
    EXPECT_TRUE(schedule_invocation(schedule, policy, 0).admitted);
    EXPECT_FALSE(schedule_invocation(schedule, policy, 50000).admitted);
    // The slot reserved above was 100 ms; the next free one is 200 ms.
    EXPECT_TRUE(schedule_invocation(schedule, policy, 200000).admitted);
    EXPECT_TRUE(schedule_invocation(schedule, policy, 10 * kMicrosPerSecond).admitted);
}

TEST(RateSchedule, UnlimitedAdmitsEverything) {
    RateSchedule schedule;
    RatePolicy policy{0, 1};
    for (int i = 0; i < 1000; ++i) {
        EXPECT_TRUE(schedule_invocation(schedule, policy, 0).admitted);
    }
}

TEST(Covers, CountsThePeakNotTheSum) {
    CoversLedger ledger(10);
    ledger.add(Interval{0, 100}, 4);
    ledger.add(Interval{100, 200}, 4);  // does not overlap the first
    ledger.add(Interval{150, 250}, 3);
    EXPECT_EQ(ledger.peak_covers(Interval{50, 175}), 7);
    EXPECT_TRUE(ledger.admits(Interval{50, 175}, 3));
    EXPECT_FALSE(ledger.admits(Interval{50, 175}, 4));
    EXPECT_TRUE(ledger.admits(Interval{0, 99}, 6));
    EXPECT_TRUE(CoversLedger(0).admits(Interval{0, 1}, 1000));
}

}  // namespace
}  // namespace av3
