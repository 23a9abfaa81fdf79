#include "pg/application_writes.hpp"

#include "core/invocation.hpp"
#include "pg/booking_writes.hpp"
#include "pg/schedule_cache.hpp"
#include "pg/spi.hpp"
#include "pg/transaction_hooks.hpp"
#include "pg/transaction_staged.hpp"
#include "pg/transition_events.hpp"

namespace av3::pg {

namespace {

TransactionStaged<ApplicationTransition> g_queued;

Statement& wake_retries() {
    static Statement statement(
        "UPDATE assignment_v3.bookings SET next_attempt_at = pg_catalog.now() "
        "WHERE id IN (SELECT id FROM assignment_v3.bookings "
        "             WHERE restaurant_id = ANY ($1) AND status = 'pending' "
        "               AND assignment_state = 'retry_scheduled' "
        "               AND last_reason IS DISTINCT FROM 'rate_limited' "
        "               AND next_attempt_at > pg_catalog.now() "
        "             FOR UPDATE SKIP LOCKED)",
        {UUIDARRAYOID}, Planning::PlanEachTime);
    return statement;
}

void on_transaction_event(XactEvent event, void* /*arg*/) {
    if (event == XACT_EVENT_COMMIT || event == XACT_EVENT_ABORT || event == XACT_EVENT_PREPARE) {
        g_queued.clear();
    }
}

void on_subtransaction_event(SubXactEvent event, SubTransactionId /*sub*/,
                             SubTransactionId /*parent*/, void* /*arg*/) {
    g_queued.on_subtransaction_event(event);
}

}  // namespace

void install_application_write_hooks() {
    RegisterXactCallback(on_transaction_event, nullptr);
    RegisterSubXactCallback(on_subtransaction_event, nullptr);
}

void queue_application_transition(ApplicationTransition transition) {
    g_queued.stage(std::move(transition));
}

void apply_application_transitions() {
    // Taken first: the statements below fire the bookings triggers again.
    const std::vector<ApplicationTransition> transitions = g_queued.take();
    if (transitions.empty()) {
        return;
    }
    std::vector<Uuid> bookings;
    std::vector<Uuid> cancelled_at;
    EventBuffer events;
    for (const ApplicationTransition& t : transitions) {
        bookings.push_back(t.booking_id);
        const bool cancelled = t.cause == TransitionCause::Cancellation;
        if (cancelled && std::find(cancelled_at.begin(), cancelled_at.end(), t.restaurant_id) ==
                             cancelled_at.end()) {
            cancelled_at.push_back(t.restaurant_id);
        }
        add_transition_event(
            events, StateTransition{t.booking_id, t.restaurant_id, t.from, t.to,
                                    cancelled ? reason::kCancelled : reason::kModified, t.version,
                                    t.cause});
    }
    {
        // The extension's own release: followed booking by booking by the schedule caches.
        InternalWriteScope scope(TransitionCause::Modification);
        release_booking_tables(bookings);
    }
    for (const ApplicationTransition& t : transitions) {
        ScheduleCache::released_in_transaction(t.restaurant_id, t.booking_id);
    }
    events.flush();
    if (!cancelled_at.empty()) {
        wake_retries_of(cancelled_at);
    }
    wake_workers_at_commit();
}

void wake_retries_of(const std::vector<Uuid>& restaurants) {
    if (!restaurants.empty()) {
        wake_retries().run({{uuid_array_datum(restaurants), false}});
    }
}

}  // namespace av3::pg
