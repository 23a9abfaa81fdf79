#include "pg/coordinator.hpp"

#include "pg/settings.hpp"
#include "pg/shared_policies.hpp"
#include "pg/shared_state.hpp"
#include "pg/spi.hpp"
#include "pg/transition_events.hpp"

namespace av3::pg {

namespace {

constexpr std::string_view kStrategy = "optimal_fit";

double elapsed_ms(Micros since, Micros until) {
    return static_cast<double>(until - since) / kMicrosPerMilli;
}

void add_transitions(EventBuffer& events, const ClaimedBooking& booking,
                     const std::vector<Transition>& steps, Micros at) {
    for (const Transition& t : steps) {
        add_transition_event(events, StateTransition{booking.view.id, booking.restaurant_id,
                                                     state_name(t.from), t.to, t.reason, t.version,
                                                     TransitionCause::Coordinator, nullptr, at});
    }
}

}  // namespace

BookingWrite V3Coordinator::start_write(const ClaimedBooking& booking, Micros started_at) const {
    BookingWrite write;
    write.booking_id = booking.view.id;
    write.restaurant_id = booking.restaurant_id;
    write.expected_version = booking.view.version;
    EventContext ctx;
    ctx.add("mode", "full")
        .add("rollout", booking.rollout)
        .add("trigger", trigger_name(booking.view.trigger))
        .add("attempt", booking.view.attempts + 1)
        .add("version", booking.view.version);
    if (probe_) {
        ctx.add("probe", true);
    }
    write.events.add(source::kCoordinator, "coordinator.start", Severity::Info, booking.view.id,
                     booking.restaurant_id, std::move(ctx), started_at);
    return write;
}

void V3Coordinator::queue(const ClaimedBooking& booking, BookingWrite write,
                          InvocationResult result, Micros started_at) {
    result.booking_id = booking.view.id;
    result.pipeline = "v3";
    pending_.push_back(Pending{&booking, std::move(result), started_at});
    writer_.add(std::move(write));
}

void V3Coordinator::decide(RestaurantRun& run, const std::vector<const ClaimedBooking*>& bookings) {
    const InvocationSettings invocation = settings::invocation_settings();
    for (const ClaimedBooking* booking : bookings) {
        set_current_booking(&booking->view.id);
        const Micros started_at = now_micros();
        BookingWrite write = start_write(*booking, started_at);
        InvocationPlan plan = plan_invocation(booking->view, run.view(), invocation, started_at);
        const Micros decided_at = now_micros();

        InvocationResult result;
        result.outcome = plan.outcome;
        result.reason = std::string(plan.reason);
        add_transitions(write.events, *booking, plan.transitions, decided_at);

        write.updates_booking = plan.changes_booking();
        write.state = plan.final_state;
        write.new_version = plan.final_version;
        write.attempts = plan.attempts;
        write.last_reason = std::string(plan.reason);

        EventContext ctx;
        switch (plan.outcome) {
            case Outcome::Confirmed: {
                const Interval during = occupied_interval(booking->view, run.info().turn_buffer);
                for (int i = 0; i < plan.fit.option->table_count; ++i) {
                    const Uuid& table = run.inventory().tables()[plan.fit.option->tables[i]].id;
                    write.assignments.push_back(AssignmentRow{table, during});
                    result.tables.push_back(table);
                }
                run.seat(*plan.fit.option, booking->view);
                ctx.add("strategy", kStrategy)
                    .add("attempts", plan.attempts)
                    .add("duration_ms", elapsed_ms(started_at, decided_at))
                    .add("trigger", trigger_name(booking->view.trigger))
                    .add_uuids("tables", result.tables)
                    .add("combination", plan.fit.is_combination())
                    .add("version", plan.final_version)
                    .add("latency_ms", elapsed_ms(booking->view.queued_at, decided_at));
                break;
            }
            case Outcome::Retry:
                write.next_attempt_at = decided_at + plan.retry_delay;
                ctx.add("reason", plan.reason)
                    .add("delay_ms", plan.retry_delay / kMicrosPerMilli)
                    .add("attempts", plan.attempts)
                    .add("max_retries", invocation.max_retries);
                break;
            case Outcome::ManualReview:
                ctx.add("reason", plan.reason)
                    .add("attempts", plan.attempts)
                    .add("party_size", booking->view.party_size)
                    .add("legacy_would_seat", plan.legacy_would_seat);
                break;
            case Outcome::Noop:
            case Outcome::Error:
                ctx.add("reason", plan.reason);
                break;
        }
        write.events.add(source::kCoordinator, outcome_event_type(plan.outcome),
                         plan.outcome == Outcome::ManualReview ? Severity::Warning : Severity::Info,
                         booking->view.id, booking->restaurant_id, std::move(ctx), decided_at);
        queue(*booking, std::move(write), std::move(result), started_at);
    }
}

void V3Coordinator::fail(const std::vector<const ClaimedBooking*>& bookings,
                         const SubtransactionError& error) {
    for (const ClaimedBooking* booking : bookings) {
        const Micros started_at = now_micros();
        Pending pending{booking, InvocationResult{}, started_at};
        BookingWrite write = error_write(pending, error, true);
        InvocationResult result;
        result.outcome = Outcome::Error;
        result.reason = std::string(reason::kUnexpectedError);
        queue(*booking, std::move(write), std::move(result), started_at);
    }
}

void V3Coordinator::noop(const ClaimedBooking& booking, std::string_view why) {
    const Micros started_at = now_micros();
    BookingWrite write = start_write(booking, started_at);
    if (why == reason::kLockContention) {
        EventContext held;
        held.add("reason", why);
        write.events.add(source::kCoordinator, "coordinator.lock_contention", Severity::Info,
                         booking.view.id, booking.restaurant_id, std::move(held));
    }
    EventContext ctx;
    ctx.add("reason", why);
    write.events.add(source::kCoordinator, "coordinator.noop", Severity::Info, booking.view.id,
                     booking.restaurant_id, std::move(ctx));
    InvocationResult result;
    result.outcome = Outcome::Noop;
    result.reason = std::string(why);
    queue(booking, std::move(write), std::move(result), started_at);
}

BookingWrite V3Coordinator::error_write(const Pending& pending, const SubtransactionError& error,
                                        bool update_booking) const {
    const ClaimedBooking& booking = *pending.booking;
    BookingWrite write = start_write(booking, pending.started_at);
    const Micros now = now_micros();
    const InvocationSettings invocation = settings::invocation_settings();
    const int attempts = booking.view.attempts + 1;
    const Micros delay = retry_delay(invocation.backoff, attempts, booking.view.id.stable_hash());
    if (update_booking) {
        // The state does not move: the booking stays runnable, due again after the delay.
        write.updates_booking = true;
        write.state = booking.view.state;
        write.new_version = booking.view.version;
        write.attempts = attempts;
        write.next_attempt_at = now + delay;
        write.last_reason = std::string(reason::kUnexpectedError);
    }
    char sqlstate[6];
    memcpy(sqlstate, unpack_sql_state(error.sqlstate), sizeof sqlstate);
    EventContext ctx;
    ctx.add("reason", reason::kUnexpectedError)
        .add("sqlstate", std::string_view(sqlstate, 5))
        .add("message", error.message)
        .add("delay_ms", delay / kMicrosPerMilli);
    write.events.add(source::kCoordinator, "coordinator.error", Severity::Error, booking.view.id,
                     booking.restaurant_id, std::move(ctx), now);
    return write;
}

std::vector<InvocationResult> V3Coordinator::persist(WriteMode mode) {
    if (mode == WriteMode::Bulk) {
        writer_.flush_bulk();
        return finish();
    }
    std::vector<std::optional<SubtransactionError>> failed = writer_.flush_each();
    // Second round: outcomes replacing the writes that did not land.
    std::vector<std::size_t> replaced;
    for (std::size_t i = 0; i < failed.size(); ++i) {
        if (!failed[i]) {
            continue;
        }
        Pending& p = pending_[i];
        p.result.tables.clear();
        if (failed[i]->version_conflict) {
            // Someone else changed the booking: this invocation does nothing.
            BookingWrite write = start_write(*p.booking, p.started_at);
            EventContext ctx;
            ctx.add("reason", reason::kVersionConflict);
            write.events.add(source::kCoordinator, "coordinator.noop", Severity::Info,
                             p.booking->view.id, p.booking->restaurant_id, std::move(ctx));
            p.result.outcome = Outcome::Noop;
            p.result.reason = std::string(reason::kVersionConflict);
            writer_.add(std::move(write));
        } else {
            p.result.outcome = Outcome::Error;
            p.result.reason = std::string(reason::kUnexpectedError);
            writer_.add(error_write(p, *failed[i], true));
        }
        replaced.push_back(i);
    }
    if (!replaced.empty()) {
        std::vector<std::optional<SubtransactionError>> again = writer_.flush_each();
        for (std::size_t k = 0; k < replaced.size(); ++k) {
            if (!again[k]) {
                continue;
            }
            // Even the booking's schedule update failed (a trigger refusing every write, say):
            // record the error event alone; the booking is untouched and still runnable.
            Pending& p = pending_[replaced[k]];
            writer_.add(error_write(p, *again[k], false));
            if (writer_.flush_each().front()) {
                report(WARNING,
                       "assignment_v3: could not record the outcome of booking " +
                           p.booking->view.id.to_string(),
                       again[k]->message);
            }
        }
    }
    return finish();
}

std::vector<InvocationResult> V3Coordinator::finish() {
    std::vector<InvocationResult> results;
    results.reserve(pending_.size());
    for (Pending& p : pending_) {
        if (p.result.outcome == Outcome::Error) {
            ++failures_;
        } else {
            ++successes_;
        }
        results.push_back(std::move(p.result));
    }
    pending_.clear();
    return results;
}

}  // namespace av3::pg
