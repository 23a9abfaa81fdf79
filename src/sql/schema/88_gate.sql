--------------------------------------------------------------------------------------------
-- The rollout gate: does the pipeline do its job? (docs/rollout-runbook.md, "The gate")
--------------------------------------------------------------------------------------------
-- The gate judges the V3 pipeline per booking it decided in the window (a booking confirmed
-- after two retries is one success), and keeps apart what is not the pipeline's doing:
--   pipeline      unexpected errors, circuit trips, and manual reviews the legacy planner would
--                 have avoided (its first-fit rule would have seated the party at that moment:
--                 coordinator.manual_review's legacy_would_seat)
--   capacity      manual reviews no pipeline could avoid (the restaurant was full, the party
--                 too large, the booking in the past), and retries while no table is free
--   back-pressure rate_limited retries and lock contention: the limiter and the locks doing
--                 their job; they delay bookings, they do not fail them
-- rollout_evidence() lists these counts; rollout_gate() checks the runbook's thresholds on the
-- pipeline's share; rollout_verdict() answers proceed, hold or rollback.

-- The window's V3 counts, by what they say about the pipeline.
CREATE FUNCTION assignment_v3_internal.gate_counts(window_length interval, as_of timestamptz)
RETURNS TABLE (confirmed numeric, manual_legacy_would_seat numeric, manual_capacity numeric, errors numeric,
               trips numeric, retries_no_table numeric, retries_rate_limited numeric, lock_contention numeric,
               invocations numeric)
LANGUAGE sql STABLE
AS $$
    SELECT coalesce(sum(events) FILTER (WHERE event_type = 'coordinator.confirmed'), 0),
           coalesce(sum(events) FILTER (WHERE event_type = 'coordinator.manual_review' AND detail = 'true'), 0),
           coalesce(sum(events) FILTER (WHERE event_type = 'coordinator.manual_review'
                                          AND detail IS DISTINCT FROM 'true'), 0),
           coalesce(sum(events) FILTER (WHERE event_type = 'coordinator.error'), 0),
           coalesce(sum(events) FILTER (WHERE event_type = 'coordinator.circuit_open'), 0),
           coalesce(sum(events) FILTER (WHERE event_type = 'coordinator.retry'
                                          AND reason IN ('no_assignment', 'capacity_exceeded')), 0),
           coalesce(sum(events) FILTER (WHERE event_type = 'coordinator.retry' AND reason = 'rate_limited'), 0),
           coalesce(sum(events) FILTER (WHERE event_type = 'coordinator.lock_contention'), 0),
           coalesce(sum(events) FILTER (WHERE event_type = 'coordinator.start'), 0)
    FROM assignment_v3_internal.rollup_window(window_length, as_of)
$$;
REVOKE ALL ON FUNCTION assignment_v3_internal.gate_counts(interval, timestamptz) FROM PUBLIC;

-- What shadow mode saw in the window: of the booking versions both planned, the share V3 would
-- have seated and the share legacy seated (the runbook's "compare shadow vs. legacy success
-- rates"). No rows without shadow plans.
CREATE FUNCTION assignment_v3_internal.shadow_baseline(window_length interval, as_of timestamptz)
RETURNS TABLE (compared bigint, v3_would_seat_pct numeric, legacy_seated_pct numeric)
LANGUAGE sql STABLE
AS $$
    SELECT count(*),
           assignment_v3_internal.pct(count(*) FILTER (WHERE p.outcome = 'confirmed'), count(*)),
           assignment_v3_internal.pct(count(*) FILTER (WHERE p.legacy_outcome = 'confirmed'), count(*))
    FROM assignment_v3.shadow_plans p
    WHERE p.computed_at >= as_of - window_length AND p.computed_at <= as_of
      AND p.legacy_outcome IN ('confirmed', 'manual_review')
    HAVING count(*) > 0
$$;
REVOKE ALL ON FUNCTION assignment_v3_internal.shadow_baseline(interval, timestamptz) FROM PUBLIC;

-- The evidence behind the gate: one row per count, by category.
CREATE FUNCTION rollout_evidence(window_length interval DEFAULT '48 hours', as_of timestamptz DEFAULT now())
RETURNS TABLE (category text, measure text, observed numeric, meaning text)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT e.* FROM assignment_v3_internal.gate_counts(window_length, as_of) c
    CROSS JOIN LATERAL (VALUES
        ('decided', 'confirmed', c.confirmed, 'bookings V3 seated'),
        ('decided', 'manual_review', c.manual_legacy_would_seat + c.manual_capacity,
         'bookings V3 sent to manual review'),
        ('pipeline', 'errors', c.errors, 'invocations that failed unexpectedly (coordinator.error)'),
        ('pipeline', 'circuit_trips', c.trips, 'times the circuit breaker opened'),
        ('pipeline', 'manual_review_legacy_would_seat', c.manual_legacy_would_seat,
         'manual reviews of parties the legacy first-fit rule would have seated'),
        ('capacity', 'manual_review_nobody_could_seat', c.manual_capacity,
         'manual reviews no pipeline could avoid: full, party too large, in the past'),
        ('capacity', 'retries_no_table_free', c.retries_no_table,
         'retries because no table (or covers) was free at the time'),
        ('back_pressure', 'retries_rate_limited', c.retries_rate_limited,
         'retries the rate limiter scheduled (each waits for a reserved slot)'),
        ('back_pressure', 'lock_contention', c.lock_contention,
         'invocations that found the restaurant served by another transaction'),
        ('volume', 'invocations', c.invocations, 'V3 invocations (coordinator.start)')) AS e(category, measure, observed, meaning)
    UNION ALL
    SELECT 'baseline', m.measure, m.observed, m.meaning
    FROM assignment_v3_internal.shadow_baseline(window_length, as_of) s
    CROSS JOIN LATERAL (VALUES
        ('shadow_compared', s.compared::numeric, 'booking versions both V3 (shadow) and legacy decided'),
        ('shadow_v3_would_seat_pct', s.v3_would_seat_pct, 'share V3 would have seated'),
        ('shadow_legacy_seated_pct', s.legacy_seated_pct, 'share legacy seated')) AS m(measure, observed, meaning)
$$;
COMMENT ON FUNCTION rollout_evidence(interval, timestamptz) IS
    'What the gate counted over a window, by category: decided, pipeline (failures), capacity, '
    'back_pressure, volume, and the shadow baseline when shadow plans exist.'
    ' Example: SELECT * FROM assignment_v3.rollout_evidence(''48 hours'');';
REVOKE ALL ON FUNCTION rollout_evidence(interval, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION rollout_evidence(interval, timestamptz) TO pg_monitor;

-- One row per check: observed, threshold, passed, and what a failure means: 'hold' (wait, look,
-- do not widen the rollout) or 'rollback'.
--   sample_size        bookings V3 decided (confirmed or manual review) >= min_samples, else
--                      hold: an idle window proves nothing
--   success_rate       % seated of the bookings V3 decided that any pipeline could have seated
--                      (confirmed / (confirmed + manual reviews legacy would have avoided))
--                      >= min_success_pct; hold, rollback when 5 points or more below
--   manual_review_rate % of the bookings V3 decided sent to a manual review the legacy planner
--                      would have avoided < max_manual_review_pct; hold, rollback at three
--                      times the threshold
--   sustained_errors   longest run of consecutive 5-minute buckets whose errors exceed
--                      max_error_pct of the decisions (confirmed, manual review, error); a
--                      single spike (1) passes, 2 or more: rollback
--   circuit_trips      coordinator.circuit_open events <= max_circuit_trips, else rollback
--   shadow_vs_legacy   where shadow plans exist: V3's would-seat share minus legacy's seated
--                      share, in points, >= -max_manual_review_pct; hold (no shadow plans: passed)
CREATE FUNCTION rollout_gate(window_length interval DEFAULT '48 hours',
                             min_success_pct numeric DEFAULT 97,
                             max_manual_review_pct numeric DEFAULT 1,
                             max_error_pct numeric DEFAULT 1,
                             max_circuit_trips integer DEFAULT 0,
                             min_samples integer DEFAULT 200,
                             as_of timestamptz DEFAULT now())
RETURNS TABLE (check_name text, observed numeric, threshold numeric, passed boolean, on_failure text)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    WITH t AS (SELECT c.*, c.confirmed + c.manual_legacy_would_seat + c.manual_capacity AS decided,
                      assignment_v3_internal.pct(c.confirmed, c.confirmed + c.manual_legacy_would_seat) AS success,
                      assignment_v3_internal.pct(c.manual_legacy_would_seat,
                                                 c.confirmed + c.manual_legacy_would_seat + c.manual_capacity) AS manual
               FROM assignment_v3_internal.gate_counts(window_length, as_of) c),
    buckets AS (
        SELECT d.bucket_start AS b, coalesce(assignment_v3_internal.pct(d.of_outcome, d.decisions), 0) > max_error_pct AS bad
        FROM assignment_v3_internal.decisions_per_bucket(window_length, '5 minutes', as_of, 'coordinator.error') d),
    runs AS (  -- consecutive bad buckets: gaps-and-islands over the 5-minute grid
        SELECT count(*) AS run_length
        FROM (SELECT b, b - (row_number() OVER (ORDER BY b)) * interval '5 minutes' AS island
              FROM buckets WHERE bad) s
        GROUP BY island),
    shadow AS (SELECT s.v3_would_seat_pct - s.legacy_seated_pct AS gap
               FROM assignment_v3_internal.shadow_baseline(window_length, as_of) s),
    checks AS (
        SELECT 1 AS n, 'sample_size' AS check_name, t.decided AS observed, min_samples::numeric AS threshold,
               t.decided >= min_samples AS passed, 'hold' AS on_failure
        FROM t
        UNION ALL
        SELECT 2, 'success_rate', t.success, min_success_pct,
               coalesce(t.success >= min_success_pct, false),
               CASE WHEN coalesce(t.success, 100) < min_success_pct - 5 THEN 'rollback' ELSE 'hold' END
        FROM t
        UNION ALL
        SELECT 3, 'manual_review_rate', t.manual, max_manual_review_pct,
               coalesce(t.manual < max_manual_review_pct, false),
               CASE WHEN coalesce(t.manual, 0) >= 3 * max_manual_review_pct THEN 'rollback' ELSE 'hold' END
        FROM t
        UNION ALL
        SELECT 4, 'sustained_errors', coalesce((SELECT max(run_length) FROM runs), 0), 1,
               coalesce((SELECT max(run_length) FROM runs), 0) <= 1, 'rollback'
        UNION ALL
        SELECT 5, 'circuit_trips', t.trips, max_circuit_trips, t.trips <= max_circuit_trips, 'rollback'
        FROM t
        UNION ALL
        SELECT 6, 'shadow_vs_legacy', (SELECT gap FROM shadow), -max_manual_review_pct,
               coalesce((SELECT gap FROM shadow) >= -max_manual_review_pct, true), 'hold')
    SELECT check_name, observed, threshold, passed, on_failure FROM checks ORDER BY n
$$;
COMMENT ON FUNCTION rollout_gate(interval, numeric, numeric, numeric, integer, integer, timestamptz) IS
    'The runbook''s exit criteria over a window, judged per booking V3 decided: one row per check '
    '(observed, threshold, passed, on_failure). rollout_evidence() shows what was counted.'
    ' Example: SELECT * FROM assignment_v3.rollout_gate(''48 hours'');';
REVOKE ALL ON FUNCTION rollout_gate(interval, numeric, numeric, numeric, integer, integer, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION rollout_gate(interval, numeric, numeric, numeric, integer, integer, timestamptz) TO pg_monitor;

-- proceed (every check passed), hold (a check failed that asks to wait), rollback.
CREATE FUNCTION rollout_verdict(window_length interval DEFAULT '48 hours',
                                min_success_pct numeric DEFAULT 97,
                                max_manual_review_pct numeric DEFAULT 1,
                                max_error_pct numeric DEFAULT 1,
                                max_circuit_trips integer DEFAULT 0,
                                min_samples integer DEFAULT 200,
                                as_of timestamptz DEFAULT now())
RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE
               WHEN bool_or(NOT g.passed AND g.on_failure = 'rollback') THEN 'rollback'
               WHEN bool_or(NOT g.passed) THEN 'hold'
               ELSE 'proceed'
           END
    FROM assignment_v3.rollout_gate(window_length, min_success_pct, max_manual_review_pct, max_error_pct,
                                    max_circuit_trips, min_samples, as_of) g
$$;
COMMENT ON FUNCTION rollout_verdict(interval, numeric, numeric, numeric, integer, integer, timestamptz) IS
    'proceed, hold or rollback: the verdict of rollout_gate() over the same window and thresholds.'
    ' Example: SELECT assignment_v3.rollout_verdict();';
REVOKE ALL ON FUNCTION rollout_verdict(interval, numeric, numeric, numeric, integer, integer, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION rollout_verdict(interval, numeric, numeric, numeric, integer, integer, timestamptz) TO pg_monitor;
