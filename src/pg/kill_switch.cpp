#include "pg/kill_switch.hpp"

#include "pg/event_log.hpp"
#include "pg/extension_version.hpp"
#include "pg/result_set.hpp"
#include "pg/settings.hpp"
#include "pg/shared_state.hpp"
#include "pg/spi.hpp"
#include "pg/transaction_staged.hpp"

namespace av3::pg {

namespace {

// Without shared memory (not preloaded): this backend's copy, read at each batch.
KillSwitchState g_local_state = KillSwitchState::Unknown;
// clear_auto_rollback() calls of the current transaction (their timestamps), published to
// shared memory at its commit; a rolled-back savepoint takes its calls with it.
TransactionStaged<TimestampTz> g_clears;

Statement& select_state() {
    static Statement statement(
        "SELECT tripped_at IS NOT NULL, cleared_at FROM assignment_v3_internal.kill_switch", {});
    return statement;
}

// The gate over the window, with what the event and the table keep of it.
Statement& judge() {
    static Statement statement(
        "WITH g AS (SELECT * FROM assignment_v3.rollout_gate(pg_catalog.make_interval(secs => $1), "
        "                                                   min_samples => $2, as_of => $3)) "
        "SELECT coalesce((SELECT pg_catalog.bool_or(NOT passed AND on_failure = 'rollback') FROM "
        "g), false), "
        "       (SELECT coalesce(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object("
        "                 'check', check_name, 'observed', observed, 'threshold', threshold, "
        "                 'on_failure', on_failure) ORDER BY check_name), '[]') "
        "        FROM g WHERE NOT passed)::text, "
        "       (SELECT pg_catalog.string_agg(check_name || ' ' || coalesce(observed::text, "
        "'none') "
        "                                     || ' (threshold ' || threshold || ')', ', ' ORDER BY "
        "check_name) "
        "        FROM g WHERE NOT passed AND on_failure = 'rollback'), "
        "       (SELECT pg_catalog.jsonb_object_agg(category || '.' || measure, observed) "
        "        FROM assignment_v3.rollout_evidence(pg_catalog.make_interval(secs => $1), "
        "$3))::text",
        {FLOAT8OID, INT4OID, TIMESTAMPTZOID});
    return statement;
}

Statement& record_trip() {
    static Statement statement(
        "INSERT INTO assignment_v3_internal.kill_switch (singleton, tripped_at, reason, evidence) "
        "VALUES (true, $1, $2, $3::jsonb) "
        "ON CONFLICT (singleton) DO UPDATE SET tripped_at = excluded.tripped_at, "
        "  reason = excluded.reason, evidence = excluded.evidence",
        {TIMESTAMPTZOID, TEXTOID, TEXTOID});
    return statement;
}

Statement& record_clear() {
    static Statement statement(
        "UPDATE assignment_v3_internal.kill_switch "
        "SET tripped_at = NULL, cleared_at = $1, cleared_by = pg_catalog.session_user() "
        "WHERE tripped_at IS NOT NULL RETURNING tripped_at",
        {TIMESTAMPTZOID});
    return statement;
}

KillSwitchState state_now() {
    SharedState* state = shared_state();
    if (state == nullptr) {
        return g_local_state;
    }
    LWLockAcquire(state->lock, LW_SHARED);
    const KillSwitchState s = state->kill_switch;
    LWLockRelease(state->lock);
    return s;
}

void set_state(KillSwitchState s, TimestampTz cleared_at) {
    SharedState* state = shared_state();
    if (state == nullptr) {
        g_local_state = s;
        return;
    }
    LWLockAcquire(state->lock, LW_EXCLUSIVE);
    state->kill_switch = s;
    if (cleared_at != 0) {
        state->kill_switch_cleared_at = cleared_at;
    }
    LWLockRelease(state->lock);
}

TimestampTz cleared_at_now() {
    SharedState* state = shared_state();
    if (state == nullptr) {
        return 0;
    }
    LWLockAcquire(state->lock, LW_SHARED);
    const TimestampTz at = state->kill_switch_cleared_at;
    LWLockRelease(state->lock);
    return at;
}

void on_transaction_event(XactEvent event, void* /*arg*/) {
    if (g_clears.empty()) {
        return;
    }
    if (event == XACT_EVENT_COMMIT) {
        const std::vector<TimestampTz> clears = g_clears.take();
        set_state(KillSwitchState::Clear, clears.back());
        wake_workers();
    } else if (event == XACT_EVENT_PREPARE) {
        // The clear becomes visible at COMMIT PREPARED, perhaps in another backend: the next
        // batch rereads the table instead (and finds it still tripped until then, the safe
        // side; calling clear_auto_rollback() again after COMMIT PREPARED publishes it).
        g_clears.clear();
        set_state(KillSwitchState::Unknown, 0);
    } else if (event == XACT_EVENT_ABORT || event == XACT_EVENT_PARALLEL_ABORT) {
        g_clears.clear();
    }
}

void on_subtransaction_event(SubXactEvent event, SubTransactionId, SubTransactionId, void*) {
    g_clears.on_subtransaction_event(event);
}

Datum clear_auto_rollback(FunctionCallInfo /*fcinfo*/) {
    require_writable_current_schema("clear_auto_rollback");
    SpiConnection spi;
    const Micros now = now_micros();
    Rows cleared = record_clear().run({{TimestampTzGetDatum(now), false}});
    const bool was_tripped = !cleared.empty();
    if (was_tripped) {
        EventContext ctx;
        ctx.add("tripped_at", timestamptz_text(cleared[0].timestamptz(1)))
            .add("cleared_by",
                 std::string(pg_call([] { return GetUserNameFromId(GetSessionUserId(), false); })));
        EventBuffer events;
        events.add(source::kCoordinator, "coordinator.auto_rollback_cleared", Severity::Info,
                   std::nullopt, std::nullopt, ctx, now);
        events.flush();
    }
    spi.finish();
    // Shared memory follows once the clear has committed.
    g_clears.stage(now);
    return BoolGetDatum(was_tripped);
}

}  // namespace

bool v3_killed() {
    return state_now() == KillSwitchState::Tripped;
}

void load_kill_switch() {
    if (shared_state() != nullptr && state_now() != KillSwitchState::Unknown) {
        return;
    }
    Rows rows = select_state().run({});
    const bool tripped = !rows.empty() && rows[0].boolean(1);
    const TimestampTz cleared_at = rows.empty() ? 0 : rows[0].timestamptz(2);
    set_state(tripped ? KillSwitchState::Tripped : KillSwitchState::Clear, cleared_at);
}

bool evaluate_kill_switch(Micros now) {
    if (!settings::auto_rollback || !settings::enabled || state_now() != KillSwitchState::Clear) {
        return false;
    }
    // The window, and never what happened before the last clear (a person put V3 back in
    // service: the gate judges only what came after). The statistics count whole minutes, so
    // the minute of the clear is left out too: the switch judges from the next one on.
    double window_s = settings::auto_rollback_window_s;
    const TimestampTz cleared_at = cleared_at_now();
    if (cleared_at != 0) {
        const TimestampTz judge_from =
            cleared_at - cleared_at % kMicrosPerMinute + kMicrosPerMinute;
        window_s = std::min(window_s, static_cast<double>(now - judge_from) / kMicrosPerSecond);
        if (window_s <= 0) {
            return false;
        }
    }
    Rows verdict = judge().run({{Float8GetDatum(window_s), false},
                                {Int32GetDatum(settings::auto_rollback_min_samples), false},
                                {TimestampTzGetDatum(now), false}});
    if (verdict.empty() || !verdict[0].boolean(1)) {
        return false;
    }
    const std::string failed_checks = verdict[0].text(2);
    const std::string reason = "the rollout gate says rollback: " + verdict[0].text(3);
    const std::string evidence = verdict[0].is_null(4) ? "{}" : verdict[0].text(4);

    record_trip().run(
        {{TimestampTzGetDatum(now), false},
         {text_datum(reason), false},
         {text_datum("{\"failed_checks\": " + failed_checks + ", \"evidence\": " + evidence + "}"),
          false}});
    EventContext ctx;
    ctx.add("reason", "gate_rollback")
        .add("window_ms", static_cast<std::int64_t>(window_s * 1000))
        .add("min_samples", settings::auto_rollback_min_samples)
        .add_json("failed_checks", failed_checks)
        .add_json("evidence", evidence);
    EventBuffer events;
    events.add(source::kCoordinator, "coordinator.auto_rollback", Severity::Error, std::nullopt,
               std::nullopt, ctx, now);
    events.flush();
    report(LOG, "assignment_v3 kill switch tripped: V3 is out of service for every restaurant",
           reason + ". Clear it with SELECT assignment_v3.clear_auto_rollback();");
    return true;
}

void publish_trip() {
    set_state(KillSwitchState::Tripped, 0);
    wake_workers();  // the legacy planner takes over now
}

void install_kill_switch_hooks() {
    RegisterXactCallback(on_transaction_event, nullptr);
    RegisterSubXactCallback(on_subtransaction_event, nullptr);
}

}  // namespace av3::pg

extern "C" {

PG_FUNCTION_INFO_V1(av3_clear_auto_rollback);
PGDLLEXPORT Datum av3_clear_auto_rollback(PG_FUNCTION_ARGS) {
    return av3::pg::cpp_entry([&] { return av3::pg::clear_auto_rollback(fcinfo); });
}
}
