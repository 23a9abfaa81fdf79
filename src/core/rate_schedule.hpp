// Per-restaurant rate limit (docs/architecture.md, "Rate limit"): the generic cell rate
// algorithm in its virtual-scheduling form, as pure logic over a plain struct that the Postgres
// side keeps in shared memory.
//
// An invocation at `now` conforms when now >= tat - tolerance, where tat (the theoretical
// arrival time) advances by one interval (1 / rate) per admitted invocation and tolerance lets
// `burst` invocations through at once. A booking that does not conform is not told "try again
// in a moment" (every waiter would come back at the same instant: a retry storm); it is given
// the next free slot, tat - tolerance, and that slot is reserved for it (tat advances as if it
// had been admitted). The k-th waiter is therefore due k intervals after the first free slot,
// and when it comes back at its slot it is admitted without taking another one. A backlog of N
// bookings at rate r drains in about N / r with one rate_limited retry per waiting booking.
#pragma once

#include "core/types.hpp"

namespace av3 {

struct RatePolicy {
    double per_second = 0;  // <= 0: unlimited
    double burst = 1;       // invocations admitted at once
};

struct RateSchedule {
    Micros tat = 0;  // theoretical arrival time of the next conforming invocation; 0: idle
};

struct RateDecision {
    bool admitted = true;
    Micros slot = 0;  // when not admitted: the reserved time the booking is due again
};

// Decides one invocation at `now` and updates the schedule (admitted, or a slot reserved).
RateDecision schedule_invocation(RateSchedule& schedule, const RatePolicy& policy, Micros now);

}  // namespace av3
