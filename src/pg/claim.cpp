#include "pg/claim.hpp"

#include "pg/restaurant_lock.hpp"
#include "pg/spi.hpp"

namespace av3::pg {

namespace {

// Due bookings are looked at in a window this many times the batch size, so that restaurants
// served by other workers can be skipped without a second query. Ties in next_attempt_at
// (bookings inserted by one transaction) keep the index's order, which is insertion order:
// adding a tie-breaker column would make every claim sort all the tied rows.
constexpr int kWindowFactor = 4;
constexpr int kMaxWindow = 50000;

Statement& select_due_restaurants() {
    static Statement statement(
        "SELECT restaurant_id, count(*)::int AS due "
        "FROM (SELECT restaurant_id, next_attempt_at FROM assignment_v3.bookings "
        "      WHERE status = 'pending' AND assignment_state IN ('created', 'retry_scheduled') "
        "        AND next_attempt_at <= $1 AND assignment_version >= 0 "  // bookings_due_idx
        "      ORDER BY next_attempt_at LIMIT $2) due "
        "GROUP BY restaurant_id ORDER BY min(next_attempt_at), restaurant_id",
        {TIMESTAMPTZOID, INT4OID});
    return statement;
}

// Booking columns, in the order read_booking() expects.
#define BOOKING_COLUMNS                                                               \
    "b.id, b.restaurant_id, b.party_size, b.start_at, b.end_at, b.assignment_state, " \
    "b.assignment_version, b.attempts, b.last_reason, b.zone_preference, b.queued_at"

// Per restaurant through bookings_runnable_idx. (A plan made while the table looked empty, by a
// worker started before a bulk load, may prefer the due index and filter; ANALYZE, or the next
// autovacuum, invalidates it.)
Statement& claim_bookings_statement() {
    static Statement statement(
        "SELECT " BOOKING_COLUMNS
        " FROM unnest($1::uuid[], $2::int[]) AS r(restaurant_id, quota) "
        "CROSS JOIN LATERAL ("
        "  SELECT * FROM assignment_v3.bookings b "
        "  WHERE b.restaurant_id = r.restaurant_id AND b.status = 'pending' "
        "    AND b.assignment_state IN ('created', 'retry_scheduled') AND b.next_attempt_at <= $3 "
        "  ORDER BY b.next_attempt_at LIMIT r.quota "
        "  FOR UPDATE SKIP LOCKED) b",
        {UUIDARRAYOID, INT4ARRAYOID, TIMESTAMPTZOID});
    return statement;
}

Statement& lock_one() {
    static Statement statement("SELECT " BOOKING_COLUMNS
                               " FROM assignment_v3.bookings b WHERE b.id = $1 FOR UPDATE",
                               {UUIDOID});
    return statement;
}

Statement& select_next_due() {
    static Statement statement(
        "SELECT min(next_attempt_at) FROM assignment_v3.bookings "
        "WHERE status = 'pending' AND assignment_state IN ('created', 'retry_scheduled') AND "
        "next_attempt_at > $1 "
        "  AND assignment_version >= 0",  // bookings_due_idx
        {TIMESTAMPTZOID});
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
    Rows due = select_due_restaurants().run(
        {{TimestampTzGetDatum(request.now), false}, {Int32GetDatum(window), false}});

    struct Candidate {
        Uuid restaurant_id;
        int due;
    };
    std::vector<Candidate> candidates;
    candidates.reserve(due.size());
    for (std::uint64_t i = 0; i < due.size(); ++i) {
        candidates.push_back(Candidate{due[i].uuid(1), due[i].int4(2)});
    }

    int total = 0;
    bool probe_planned = false;
    for (const Candidate& c : candidates) {
        if (total >= request.limit) {
            break;
        }
        const PipelineMode mode = cache.info(c.restaurant_id).mode();
        if (mode == PipelineMode::Off) {
            continue;
        }
        // At least an eighth of the batch per restaurant (its due bookings beyond the window
        // included): fewer restaurants per batch means fewer schedules to read.
        int quota = std::min(std::max(c.due, request.limit / 8), request.limit - total);
        if (mode == PipelineMode::V3) {
            if (request.v3_admission == Admission::Deny || probe_planned) {
                continue;
            }
            if (request.v3_admission == Admission::Probe) {
                quota = 1;  // half-open: one invocation decides
                probe_planned = true;
            }
        }
        if (!try_lock_restaurant(c.restaurant_id)) {
            plan.due_elsewhere = true;
            continue;
        }
        plan.restaurants.push_back(c.restaurant_id);
        plan.quotas.push_back(quota);
        plan.modes.push_back(mode);
        total += quota;
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
    Rows rows = claim_bookings_statement().run({{uuid_array_datum(plan.restaurants), false},
                                                {int4_array_datum(plan.quotas), false},
                                                {TimestampTzGetDatum(plan.now), false}});
    result.bookings.reserve(rows.size());
    for (std::uint64_t i = 0; i < rows.size(); ++i) {
        ClaimedBooking b = read_booking(rows[i]);
        const auto at =
            std::find(plan.restaurants.begin(), plan.restaurants.end(), b.restaurant_id);
        b.mode = plan.modes[static_cast<std::size_t>(at - plan.restaurants.begin())];
        b.rollout = cache.info(b.restaurant_id).override_mode ? "override" : "percentage";
        result.bookings.push_back(std::move(b));
    }
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
