#include "pg/claim.hpp"

#include "core/restaurant_share.hpp"
#include "pg/queue_scan.hpp"
#include "pg/restaurant_lock.hpp"
#include "pg/settings.hpp"
#include "pg/shared_state.hpp"
#include "pg/spi.hpp"

namespace av3::pg {

namespace {

// Due bookings are looked at in a window this many times the batch size, so that restaurants
// served by other workers can be skipped without a second query. Ties in next_attempt_at
// (bookings inserted by one transaction) keep the index's order, which is insertion order:
// adding a tie-breaker column would make every claim sort all the tied rows.
constexpr int kWindowFactor = 4;
constexpr int kMaxWindow = 50000;

// The statements over the queue are planned at each execution (spi.hpp, Planning): the queue
// goes from empty to a backlog of millions and back, and the plan must follow it.

// The oldest due bookings, through bookings_due_idx (its predicate is the query's, and it is
// ordered as the query asks: whatever the statistics say, no other index serves it).
Statement& select_due() {
    static Statement statement(
        "SELECT id, restaurant_id FROM assignment_v3.bookings "
        "WHERE status = 'pending' AND assignment_state IN ('created', 'retry_scheduled') "
        "  AND next_attempt_at <= $1 "
        "ORDER BY next_attempt_at LIMIT $2",
        {TIMESTAMPTZOID, INT4OID}, Planning::PlanEachTime);
    return statement;
}

// Booking columns, in the order read_booking() expects.
#define BOOKING_COLUMNS                                                               \
    "b.id, b.restaurant_id, b.party_size, b.start_at, b.end_at, b.assignment_state, " \
    "b.assignment_version, b.attempts, b.last_reason, b.zone_preference, b.queued_at"

// The chosen bookings, locked by primary key; one another transaction holds is skipped, one
// rescheduled since it was read too. Whether each is still runnable is checked after the lock
// (claim_bookings()): stating it here would let the planner read them through
// bookings_due_idx, whose predicate it is, and filter, which on stale statistics it may prefer.
Statement& claim_bookings_statement() {
    static Statement statement("SELECT " BOOKING_COLUMNS
                               ", b.status"
                               " FROM assignment_v3.bookings b "
                               "WHERE b.id = ANY ($1) AND b.next_attempt_at <= $2 "
                               "FOR UPDATE SKIP LOCKED",
                               {UUIDARRAYOID, TIMESTAMPTZOID}, Planning::PlanEachTime);
    return statement;
}

Statement& lock_one() {
    static Statement statement("SELECT " BOOKING_COLUMNS
                               " FROM assignment_v3.bookings b WHERE b.id = $1 FOR UPDATE",
                               {UUIDOID}, Planning::PlanEachTime);
    return statement;
}

Statement& select_next_due() {
    static Statement statement(
        "SELECT pg_catalog.min(next_attempt_at) FROM assignment_v3.bookings "
        "WHERE status = 'pending' AND assignment_state IN ('created', 'retry_scheduled') "
        "  AND next_attempt_at > $1",
        {TIMESTAMPTZOID}, Planning::PlanEachTime);
    return statement;
}

// What brought the booking to the coordinator, from its state and last reason.
InvocationTrigger trigger_of(AssignmentState state, std::string_view last_reason) {
    if (last_reason == reason::kModified) {
        return InvocationTrigger::Modification;
    }
    if (last_reason == reason::kRequeued) {
        return InvocationTrigger::Requeue;
    }
    if (last_reason == reason::kInventoryChange) {
        return InvocationTrigger::InventoryChange;
    }
    if (state == AssignmentState::RetryScheduled || !last_reason.empty()) {
        return InvocationTrigger::Retry;
    }
    return InvocationTrigger::Creation;
}

ClaimedBooking read_booking(const Row& row) {
    ClaimedBooking b;
    b.view.id = row.uuid(1);
    b.restaurant_id = row.uuid(2);
    b.view.party_size = row.int4(3);
    b.view.start_at = row.timestamptz(4);
    b.view.end_at = row.timestamptz(5);
    b.view.state = parse_state(row.text(6)).value_or(AssignmentState::Created);
    b.view.version = row.int4(7);
    b.view.attempts = row.int4(8);
    b.last_reason = row.text(9);
    b.view.zone_preference = row.text(10);
    b.view.queued_at = row.timestamptz(11);
    b.view.trigger = trigger_of(b.view.state, b.last_reason);
    b.view.holds_rate_slot =
        b.view.state == AssignmentState::RetryScheduled && b.last_reason == reason::kRateLimited;
    return b;
}

}  // namespace

ClaimPlan plan_claim(const ClaimRequest& request) {
    ClaimPlan plan;
    plan.v3_admission = request.v3_admission;
    plan.now = request.now;
    RestaurantCache& cache = RestaurantCache::instance();
    const int window = std::min(kMaxWindow, std::max(1, request.limit) * kWindowFactor);
    std::vector<DueBooking> due;
    if (!read_due_window(request.now, window, &due)) {
        Rows rows = select_due().run(
            {{TimestampTzGetDatum(request.now), false}, {Int32GetDatum(window), false}});
        due.reserve(rows.size());
        for (std::uint64_t i = 0; i < rows.size(); ++i) {
            due.push_back(DueBooking{rows[i].uuid(1), rows[i].uuid(2)});
        }
    }

    // The window's bookings by restaurant, restaurants in the order of their oldest.
    struct Candidate {
        Uuid restaurant_id;
        std::vector<Uuid> bookings;
    };
    std::vector<Candidate> candidates;
    for (const DueBooking& booking : due) {
        auto it = std::find_if(candidates.begin(), candidates.end(), [&](const Candidate& c) {
            return c.restaurant_id == booking.restaurant_id;
        });
        if (it == candidates.end()) {
            candidates.push_back(Candidate{booking.restaurant_id, {}});
            it = candidates.end() - 1;
        }
        it->bookings.push_back(booking.id);
    }

    // Each worker serves its own share of the restaurants first (core/restaurant_share.hpp:
    // by a stable hash, or those it keeps), then, with room left in the batch, anyone's. The
    // window is the oldest due bookings either way.
    const int slot = my_worker_slot();
    const int shares = std::max(1, settings::max_parallel);
    // Decided once per restaurant: a keeper changing between the passes must not make both
    // skip it.
    std::vector<bool> own(candidates.size());
    for (std::size_t k = 0; k < candidates.size(); ++k) {
        const Uuid& restaurant = candidates[k].restaurant_id;
        own[k] = serves_first(restaurant.stable_hash(), restaurant_keeper(restaurant, request.now),
                              slot, shares);
    }
    int total = 0;
    bool probe_planned = false;
    std::vector<bool> taken(candidates.size(), false);
    for (int pass = 0; pass < 2; ++pass) {
        for (std::size_t k = 0; k < candidates.size(); ++k) {
            const Candidate& c = candidates[k];
            if (total >= request.limit) {
                break;
            }
            if (taken[k] || (pass == 0) != own[k]) {
                continue;
            }
            taken[k] = true;
            const PipelineMode mode = cache.info(c.restaurant_id).mode();
            if (mode == PipelineMode::Off) {
                continue;
            }
            std::size_t take = std::min<std::size_t>(
                c.bookings.size(), static_cast<std::size_t>(request.limit - total));
            if (mode == PipelineMode::V3) {
                if (request.v3_admission == Admission::Deny || probe_planned) {
                    continue;
                }
                if (request.v3_admission == Admission::Probe) {
                    take = 1;  // half-open: one invocation decides
                    probe_planned = true;
                }
            }
            if (!try_lock_restaurant(c.restaurant_id)) {
                plan.due_elsewhere = true;
                continue;
            }
            plan.restaurants.push_back(c.restaurant_id);
            plan.modes.push_back(mode);
            plan.bookings.insert(plan.bookings.end(), c.bookings.begin(),
                                 c.bookings.begin() + static_cast<std::ptrdiff_t>(take));
            total += static_cast<int>(take);
        }
    }
    return plan;
}

ClaimResult claim_bookings(const ClaimPlan& plan) {
    ClaimResult result;
    result.due_elsewhere = plan.due_elsewhere;
    if (plan.empty()) {
        return result;
    }
    RestaurantCache& cache = RestaurantCache::instance();
    auto take = [&](const Row& row) {
        ClaimedBooking b = read_booking(row);
        if (row.text(12) != "pending" || !is_runnable(b.view.state)) {
            return;  // decided or cancelled since the due bookings were read
        }
        const auto at =
            std::find(plan.restaurants.begin(), plan.restaurants.end(), b.restaurant_id);
        b.mode = plan.modes[static_cast<std::size_t>(at - plan.restaurants.begin())];
        b.rollout = cache.info(b.restaurant_id).override_mode ? "override" : "percentage";
        result.bookings.push_back(std::move(b));
    };
    std::vector<HeapTuple> locked;
    TupleDesc columns = nullptr;
    if (lock_due_bookings(plan.bookings, plan.now, &locked, &columns)) {
        result.bookings.reserve(locked.size());
        for (HeapTuple tuple : locked) {
            take(Row(tuple, columns));
        }
    } else {
        Rows rows = claim_bookings_statement().run(
            {{uuid_array_datum(plan.bookings), false}, {TimestampTzGetDatum(plan.now), false}});
        result.bookings.reserve(rows.size());
        for (std::uint64_t i = 0; i < rows.size(); ++i) {
            take(rows[i]);
        }
    }
    // In the order the plan chose them: restaurants oldest first, each in due order.
    std::unordered_map<Uuid, std::size_t, UuidHasher> position;
    for (std::size_t i = 0; i < plan.bookings.size(); ++i) {
        position.emplace(plan.bookings[i], i);
    }
    std::sort(result.bookings.begin(), result.bookings.end(),
              [&](const ClaimedBooking& x, const ClaimedBooking& y) {
                  return position[x.view.id] < position[y.view.id];
              });
    result.probe_used =
        plan.v3_admission == Admission::Probe &&
        std::any_of(result.bookings.begin(), result.bookings.end(),
                    [](const ClaimedBooking& b) { return b.mode == PipelineMode::V3; });
    return result;
}

std::optional<ClaimedBooking> lock_booking(const Uuid& booking_id) {
    Rows rows = lock_one().run({{uuid_datum(booking_id), false}});
    if (rows.empty()) {
        return std::nullopt;
    }
    ClaimedBooking b = read_booking(rows[0]);
    const RestaurantInfo info = RestaurantCache::instance().info(b.restaurant_id);
    b.mode = info.mode();
    b.rollout = info.override_mode ? "override" : "percentage";
    return b;
}

Micros next_due_after(Micros now) {
    Rows rows = select_next_due().run({{TimestampTzGetDatum(now), false}});
    return rows.empty() || rows[0].is_null(1) ? 0 : rows[0].timestamptz(1);
}

}  // namespace av3::pg
