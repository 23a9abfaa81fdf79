#include "core/inventory.hpp"
#include "core/types.hpp"
#include "pg/settings.hpp"
#include "pg/kill_switch.hpp"
#include "pg/postgres.hpp"

namespace av3::pg::settings {

bool enabled = false;
bool shadow = false;
int max_parallel = 2;
int rollout_percent = 100;
bool legacy_planner = true;
bool paused = false;
bool auto_rollback = false;
int auto_rollback_window_s = 600;
int auto_rollback_min_samples = 100;
bool notify = true;
char* database = nullptr;
char* role = nullptr;
int batch_size = 200;
int poll_interval_ms = 1000;
int max_retries = 5;
int retry_backoff_base_ms = 1000;
int retry_backoff_max_ms = 5 * 60 * 1000;
int circuit_breaker_threshold = 5;
int circuit_breaker_window_ms = 60 * 1000;
int circuit_breaker_cooldown_ms = 30 * 1000;
int restaurant_rate_limit = 100;
int restaurant_rate_burst = 200;
int max_combo_tables = 3;
int legacy_max_attempts = 3;
int event_retention_min = 14 * 24 * 60;
int settle_after_min = 24 * 60;
int max_event_context_bytes = 8192;

namespace {

bool check_database(char** newval, void** /*extra*/, GucSource /*source*/) {
    if (*newval == nullptr || (*newval)[0] == '\0') {
        GUC_check_errmsg("assignment_v3.database must name a database");
        GUC_check_errhint("Set it to the database where CREATE EXTENSION assignment_v3 was run.");
        return false;
    }
    if (strlen(*newval) >= NAMEDATALEN) {
        GUC_check_errmsg("assignment_v3.database is longer than %d bytes", NAMEDATALEN - 1);
        return false;
    }
    return true;
}

bool check_role(char** newval, void** /*extra*/, GucSource /*source*/) {
    if (*newval != nullptr && strlen(*newval) >= NAMEDATALEN) {
        GUC_check_errmsg("assignment_v3.role is longer than %d bytes", NAMEDATALEN - 1);
        return false;
    }
    return true;
}

void define_bool(const char* name, const char* short_desc, const char* long_desc, bool* var,
                 bool boot, GucContext context) {
    DefineCustomBoolVariable(name, short_desc, long_desc, var, boot, context, 0, nullptr, nullptr,
                             nullptr);
}

void define_int(const char* name, const char* short_desc, const char* long_desc, int* var, int boot,
                int min, int max, GucContext context, int flags = 0,
                GucIntCheckHook check = nullptr) {
    DefineCustomIntVariable(name, short_desc, long_desc, var, boot, min, max, context, flags, check,
                            nullptr, nullptr);
}

}  // namespace

void define_all(bool preloading) {
    define_bool(
        "assignment_v3.enabled", "V3 coordinator assigns bookings of rolled-in restaurants.",
        "Replaces FEATURE_ASSIGNMENT_PIPELINE_V3. Turning it off and reloading is the rollback: "
        "V3 stops claiming within about a second and the legacy planner takes over.",
        &enabled, false, PGC_SIGHUP);
    define_bool(
        "assignment_v3.shadow", "Computes V3 plans for bookings the legacy planner serves.",
        "Plans are written to assignment_v3.shadow_plans and compared by shadow_agreement(); "
        "nothing else is persisted. Needs assignment_v3.legacy_planner.",
        &shadow, false, PGC_SIGHUP);
    define_int("assignment_v3.max_parallel", "Number of coordinator workers.",
               "The launcher starts or stops workers within about a second of a reload.",
               &max_parallel, 2, 1, kMaxParallelLimit, PGC_SIGHUP);
    define_int(
        "assignment_v3.rollout_percent", "Percentage of restaurants V3 serves when enabled.",
        "Each restaurant has a stable bucket 0..99 (assignment_v3.rollout_bucket()); raising the "
        "percentage only adds restaurants. Per-restaurant overrides in restaurant_rollout win.",
        &rollout_percent, 100, 0, 100, PGC_SIGHUP);
    define_bool("assignment_v3.legacy_planner",
                "The legacy first-fit planner serves what V3 does not.",
                "Emits auto_assign.attempt.start and auto_assign.summary events.", &legacy_planner,
                true, PGC_SIGHUP);
    define_bool("assignment_v3.paused",
                "Pauses every worker activity: no booking is assigned, no event is purged.",
                "For a logical-replication subscriber (the publisher assigns the bookings), a "
                "restore or maintenance. The workers leave within about a second of a reload and "
                "come back when it is turned off; process_pending() still works.",
                &paused, false, PGC_SIGHUP);
    define_bool("assignment_v3.auto_rollback",
                "Takes V3 out of service by itself when the rollout gate says rollback.",
                "Worker 0 evaluates the gate every second over auto_rollback_window; on a rollback "
                "verdict V3 stops for every restaurant (the legacy planner serves, if on) until "
                "assignment_v3.clear_auto_rollback(). Turning this off does not clear a trip.",
                &auto_rollback, false, PGC_SIGHUP);
    define_int("assignment_v3.auto_rollback_window", "Window the kill switch judges the gate over.",
               "Counted back from now, and never before the last clear_auto_rollback().",
               &auto_rollback_window_s, 600, 60, 24 * 3600, PGC_SIGHUP, GUC_UNIT_S);
    define_int("assignment_v3.auto_rollback_min_samples",
               "Bookings V3 must have decided in the window before the kill switch may trip.",
               "Below it the gate says hold, not rollback.", &auto_rollback_min_samples, 100, 1,
               1000000, PGC_SIGHUP);

    define_bool("assignment_v3.notify",
                "Announces each decided booking with NOTIFY on channel assignment_v3.",
                "At commit, one notification per booking confirmed, sent to manual review or "
                "cancelled by the extension, whichever path decided it; the payload is a JSON "
                "object (booking_id, restaurant_id, state, status, version, pipeline, tables). "
                "See docs/operations.md, \"Hearing decisions\".",
                &notify, true, PGC_SIGHUP);

    if (preloading) {
        DefineCustomStringVariable(
            "assignment_v3.database", "Database the launcher and workers connect to.",
            "The extension must be created there; the launcher waits until it is.", &database,
            "postgres", PGC_POSTMASTER, 0, check_database, nullptr, nullptr);
        DefineCustomStringVariable(
            "assignment_v3.role", "Role the launcher and workers connect as.",
            "Empty means the bootstrap superuser. See docs/operations.md for a "
            "least-privilege role.",
            &role, "", PGC_POSTMASTER, 0, check_role, nullptr, nullptr);
    }

    define_int("assignment_v3.batch_size", "Bookings a worker claims per transaction.", nullptr,
               &batch_size, 200, 1, 10000, PGC_SUSET);
    define_int("assignment_v3.poll_interval", "Longest sleep of an idle worker.",
               "Workers are also woken when bookings are inserted or become due.",
               &poll_interval_ms, 1000, 10, 3600 * 1000, PGC_SUSET, GUC_UNIT_MS);
    define_int("assignment_v3.max_retries", "Retries after the first attempt before manual review.",
               nullptr, &max_retries, 5, 0, 100, PGC_SUSET);
    define_int("assignment_v3.retry_backoff_base", "Delay scale of the first retry.",
               "Retry n waits between half and all of base * 2^(n-1), capped by retry_backoff_max.",
               &retry_backoff_base_ms, 1000, 1, 3600 * 1000, PGC_SUSET, GUC_UNIT_MS);
    define_int("assignment_v3.retry_backoff_max", "Longest retry delay.", nullptr,
               &retry_backoff_max_ms, 5 * 60 * 1000, 1, 24 * 3600 * 1000, PGC_SUSET, GUC_UNIT_MS);
    define_int("assignment_v3.circuit_breaker_threshold",
               "Unexpected errors that open the circuit breaker.",
               "Counted within circuit_breaker_window.", &circuit_breaker_threshold, 5, 1, 10000,
               PGC_SUSET);
    define_int("assignment_v3.circuit_breaker_window", "Window in which errors are counted.",
               nullptr, &circuit_breaker_window_ms, 60 * 1000, 100, 24 * 3600 * 1000, PGC_SUSET,
               GUC_UNIT_MS);
    define_int("assignment_v3.circuit_breaker_cooldown",
               "Time the breaker stays open before a probe.", nullptr, &circuit_breaker_cooldown_ms,
               30 * 1000, 100, 24 * 3600 * 1000, PGC_SUSET, GUC_UNIT_MS);
    define_int("assignment_v3.restaurant_rate_limit",
               "Coordinator invocations per second per restaurant.", "0 disables the rate limit.",
               &restaurant_rate_limit, 100, 0, 100000, PGC_SUSET);
    define_int("assignment_v3.restaurant_rate_burst", "Invocations a restaurant may use at once.",
               nullptr, &restaurant_rate_burst, 200, 1, 1000000, PGC_SUSET);
    define_int("assignment_v3.max_combo_tables", "Most tables combined to seat one party.", nullptr,
               &max_combo_tables, 3, 1, kMaxComboTables, PGC_SUSET);
    define_int("assignment_v3.legacy_max_attempts",
               "Attempts of the legacy planner per invocation.", nullptr, &legacy_max_attempts, 3,
               1, 100, PGC_SUSET);
    define_int("assignment_v3.event_retention", "Age after which observability events are deleted.",
               "0 keeps events forever.", &event_retention_min, 14 * 24 * 60, 0, INT_MAX, PGC_SUSET,
               GUC_UNIT_MIN);
    define_int(
        "assignment_v3.settle_after",
        "Age after which a seating that has ended is settled (leaves the double-booking index).",
        "0 never settles. A settled seating keeps its table and time; new seatings before it "
        "are still checked against it.",
        &settle_after_min, 24 * 60, 0, INT_MAX, PGC_SUSET, GUC_UNIT_MIN);
    define_int("assignment_v3.max_event_context_bytes", "Largest event context stored.",
               "Larger contexts are truncated and flagged with \"truncated\": true.",
               &max_event_context_bytes, 8192, 256, 1024 * 1024, PGC_SUSET, GUC_UNIT_BYTE);

    MarkGUCPrefixReserved("assignment_v3");
}

RolloutFlags rollout_flags() {
    RolloutFlags flags;
    flags.enabled = enabled && !v3_killed();
    flags.shadow = shadow;
    flags.rollout_percent = rollout_percent;
    flags.legacy_planner = legacy_planner;
    return flags;
}

InvocationSettings invocation_settings() {
    InvocationSettings s;
    s.max_retries = max_retries;
    s.backoff.base = static_cast<Micros>(retry_backoff_base_ms) * kMicrosPerMilli;
    s.backoff.max = std::max<Micros>(s.backoff.base,
                                     static_cast<Micros>(retry_backoff_max_ms) * kMicrosPerMilli);
    s.rate = rate_policy();
    return s;
}

CircuitBreakerPolicy circuit_breaker_policy() {
    CircuitBreakerPolicy p;
    p.threshold = circuit_breaker_threshold;
    p.window = static_cast<Micros>(circuit_breaker_window_ms) * kMicrosPerMilli;
    p.cooldown = static_cast<Micros>(circuit_breaker_cooldown_ms) * kMicrosPerMilli;
    return p;
}

RatePolicy rate_policy() {
    RatePolicy p;
    p.per_second = restaurant_rate_limit;
    p.burst = restaurant_rate_burst;
    return p;
}

int workers_needed() {
    return !paused && (enabled || legacy_planner) ? max_parallel : 0;
}

}  // namespace av3::pg::settings
