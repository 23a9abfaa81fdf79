#include "pg/batch.hpp"

#include "pg/coordinator.hpp"
#include "pg/kill_switch.hpp"
#include "pg/legacy_planner.hpp"
#include "pg/restaurant_lock.hpp"
#include "pg/settings.hpp"
#include "pg/shadow.hpp"
#include "pg/shared_policies.hpp"
#include "pg/spi.hpp"

namespace av3::pg {

namespace {

// Bookings of one restaurant, in claim order.
struct RestaurantGroup {
    Uuid restaurant_id;
    std::vector<const ClaimedBooking*> bookings;
};

std::vector<RestaurantGroup> group_by_restaurant(const std::vector<ClaimedBooking>& bookings,
                                                 bool v3) {
    std::vector<RestaurantGroup> groups;
    for (const ClaimedBooking& b : bookings) {
        if ((b.mode == PipelineMode::V3) != v3) {
            continue;
        }
        auto it = std::find_if(groups.begin(), groups.end(), [&](const RestaurantGroup& g) {
            return g.restaurant_id == b.restaurant_id;
        });
        if (it == groups.end()) {
            groups.push_back(RestaurantGroup{b.restaurant_id, {}});
            it = groups.end() - 1;
        }
        it->bookings.push_back(&b);
    }
    return groups;
}

std::unique_ptr<RestaurantRun> load_run(const RestaurantGroup& group,
                                        std::optional<SubtransactionError>* failure) {
    std::unique_ptr<RestaurantRun> run;
    std::vector<BookingView> views;
    views.reserve(group.bookings.size());
    for (const ClaimedBooking* b : group.bookings) {
        views.push_back(b->view);
    }
    *failure = in_subtransaction([&] {
        run = RestaurantRun::load(RestaurantCache::instance().info(group.restaurant_id), views);
    });
    return run;
}

void run_v3(const std::vector<ClaimedBooking>& bookings, bool probe, WriteMode mode,
            BatchResult& out) {
    std::vector<RestaurantGroup> groups = group_by_restaurant(bookings, true);
    if (groups.empty()) {
        return;
    }
    V3Coordinator coordinator(probe);
    for (const RestaurantGroup& group : groups) {
        std::optional<SubtransactionError> failure;
        std::unique_ptr<RestaurantRun> run = load_run(group, &failure);
        if (failure) {
            coordinator.fail(group.bookings, *failure);
        } else {
            coordinator.decide(*run, group.bookings);
            if (settings::restaurant_rate_limit > 0) {
                stage_rate_schedule(group.restaurant_id, run->rate_schedule());
            }
        }
    }
    std::vector<InvocationResult> results = coordinator.persist(mode);
    out.results.insert(out.results.end(), std::make_move_iterator(results.begin()),
                       std::make_move_iterator(results.end()));
    // Counted by the breaker once this (sub)transaction has committed; if the bulk attempt
    // rolls back, what it staged goes with it and the redo stages its own.
    stage_v3_results(coordinator.successes(), coordinator.failures(), probe);
}

void run_legacy(const std::vector<ClaimedBooking>& bookings, BatchResult& out) {
    std::vector<RestaurantGroup> groups = group_by_restaurant(bookings, false);
    if (groups.empty()) {
        return;
    }
    EventBuffer events;
    ShadowRecorder shadow;
    for (const RestaurantGroup& group : groups) {
        std::unique_ptr<RestaurantRun> run;
        const bool shadowed =
            std::any_of(group.bookings.begin(), group.bookings.end(),
                        [](const ClaimedBooking* b) { return b->mode == PipelineMode::Shadow; });
        if (shadowed) {
            std::optional<SubtransactionError> failure;
            run =
                load_run(group, &failure);  // without it there is no plan, but legacy still serves
        }
        for (const ClaimedBooking* booking : group.bookings) {
            if (run && booking->mode == PipelineMode::Shadow) {
                shadow.plan(*run, *booking);
            }
            InvocationResult result = run_legacy_planner(*booking, events);
            if (run && booking->mode == PipelineMode::Shadow) {
                shadow.legacy_result(result);
            }
            if (run && result.outcome == Outcome::Confirmed) {
                run->seat(result.tables, booking->view);
            }
            out.results.push_back(std::move(result));
        }
    }
    out.shadow_plans += static_cast<int>(shadow.size());
    shadow.flush(events);
    events.flush();
}

void process(const ClaimResult& claim, bool probe, WriteMode mode, BatchResult& out) {
    out.claimed = static_cast<int>(claim.bookings.size());
    out.due_elsewhere = claim.due_elsewhere;
    run_v3(claim.bookings, probe, mode, out);
    run_legacy(claim.bookings, out);
}

// Claims and processes with bulk writes in one subtransaction; if anything in it fails, the
// subtransaction (claim included) rolls back whole and the batch is claimed and processed
// again, each booking written in a subtransaction of its own, so that the booking at fault
// gets an error outcome and the others are served.
//
// Why not a subtransaction per booking always: a row locked FOR UPDATE by one (sub)transaction
// and updated by a nested one needs a MultiXact, which made every claim of a busy queue pay for
// the lookups. Locking and updating in the same subtransaction needs none.
BatchResult claim_and_process(const std::function<ClaimResult()>& claim,
                              const std::function<bool(const ClaimResult&)>& probe) {
    BatchResult out;
    std::optional<SubtransactionError> failure = in_subtransaction([&] {
        const ClaimResult claimed = claim();
        process(claimed, probe(claimed), WriteMode::Bulk, out);
    });
    if (failure) {
        report(LOG, "assignment_v3: a batch failed and is processed again booking by booking",
               failure->message);
        out = BatchResult{};
        const ClaimResult claimed = claim();
        process(claimed, probe(claimed), WriteMode::EachBooking, out);
    }
    return out;
}

}  // namespace

void record_breaker_changes() {
    const std::vector<BreakerChange> changes = take_unrecorded_breaker_changes();
    if (changes.empty()) {
        return;
    }
    const CircuitBreakerPolicy policy = settings::circuit_breaker_policy();
    EventBuffer events;
    for (const BreakerChange& change : changes) {
        EventContext ctx;
        if (change.change == CircuitChange::Opened) {
            ctx.add("reason", change.after_probe ? "probe_failed" : "error_threshold")
                .add("threshold", policy.threshold)
                .add("window_ms", policy.window / kMicrosPerMilli)
                .add("cooldown_ms", policy.cooldown / kMicrosPerMilli)
                .add("trips", static_cast<std::int64_t>(change.trips));
            events.add(source::kCoordinator, "coordinator.circuit_open", Severity::Error,
                       std::nullopt, std::nullopt, ctx, change.at);
        } else {
            ctx.add("state", "closed");
            events.add(source::kCoordinator, "coordinator.circuit_closed", Severity::Info,
                       std::nullopt, std::nullopt, ctx, change.at);
        }
    }
    events.flush();
}

void count_batch_failure(Micros now) {
    // The breaker guards V3: a failing batch counts only while V3 is on.
    if (settings::enabled) {
        count_failed_batch(now);
    }
}

BatchResult run_batch(int limit) {
    record_breaker_changes();
    load_kill_switch();
    const Micros now = now_micros();
    const Admission admission = settings::enabled ? admit_v3(now) : Admission::Allow;
    ClaimRequest request;
    request.limit = limit;
    request.v3_admission = admission;
    request.now = now;
    // Restaurants and their advisory locks belong to the top-level transaction: they stay
    // held if the bulk attempt rolls back and the batch is processed again.
    const ClaimPlan plan = plan_claim(request);
    BatchResult out = claim_and_process([&] { return claim_bookings(plan); },
                                        [](const ClaimResult& c) { return c.probe_used; });
    out.due_elsewhere = plan.due_elsewhere;
    out.restaurants = plan.restaurants;
    if (admission == Admission::Probe && out.results.empty()) {
        release_unused_probe(now);
    }
    return out;
}

InvocationResult run_single(const Uuid& booking_id, std::optional<PipelineMode> forced) {
    record_breaker_changes();
    load_kill_switch();
    std::optional<ClaimedBooking> booking = lock_booking(booking_id);
    if (!booking) {
        throw UserError(ERRCODE_NO_DATA_FOUND,
                        "booking " + booking_id.to_string() + " does not exist", {},
                        "Check the id against assignment_v3.bookings.");
    }
    if (forced) {
        booking->mode = *forced;
        booking->rollout = "forced";
    }
    bool probe = false;
    if (booking->mode == PipelineMode::V3) {
        const Micros now = now_micros();
        const Admission admission = admit_v3(now);
        std::string_view refusal;
        if (admission == Admission::Deny) {
            refusal = reason::kCircuitOpen;
        } else if (!try_lock_restaurant(booking->restaurant_id)) {
            refusal = reason::kLockContention;
        }
        if (!refusal.empty()) {
            if (admission == Admission::Probe) {
                release_unused_probe(now);
            }
            V3Coordinator coordinator(false);
            coordinator.noop(*booking, refusal);
            return coordinator.persist(WriteMode::EachBooking).front();
        }
        probe = admission == Admission::Probe;
    } else if (booking->mode == PipelineMode::Off) {
        V3Coordinator coordinator(false);
        coordinator.noop(*booking, reason::kNotInRollout);
        return coordinator.persist(WriteMode::EachBooking).front();
    }
    ClaimResult claim;
    claim.bookings.push_back(std::move(*booking));
    BatchResult out =
        claim_and_process([&] { return claim; }, [probe](const ClaimResult&) { return probe; });
    return out.results.front();
}

}  // namespace av3::pg
