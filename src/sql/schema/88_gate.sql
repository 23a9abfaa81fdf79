--------------------------------------------------------------------------------------------
-- The rollout gate: the runbook's exit criteria, evaluated
--------------------------------------------------------------------------------------------
-- One row per check with what was observed, the threshold and whether it passed, and what a
-- failure means: 'hold' (wait, look, do not widen the rollout) or 'rollback'.
--   sample_size        V3 decisions in the window >= min_samples, else hold (an idle window
--                      proves nothing)
--   success_rate       % of V3 decisions without a reason (confirmed) >= min_success_pct;
--                      hold, rollback when 5 points or more below
--   manual_review_rate % of V3 invocations ending in manual review < max_manual_review_pct;
--                      hold, rollback at three times the threshold
--   confirmation_rate  % of V3 final decisions (confirmed or manual review) that confirmed
--                      >= min_confirmation_pct; hold, rollback when 5 points or more below
--   sustained_errors   longest run of consecutive 5-minute buckets whose error share exceeds
--                      max_error_pct; a single spike (1) passes, 2 or more: rollback
--   circuit_trips      coordinator.circuit_open events <= max_circuit_trips, else rollback
CREATE FUNCTION rollout_gate(window_length interval DEFAULT '48 hours',
                             min_success_pct numeric DEFAULT 97,
                             max_manual_review_pct numeric DEFAULT 1,
                             min_confirmation_pct numeric DEFAULT 95,
                             max_error_pct numeric DEFAULT 1,
                             max_circuit_trips integer DEFAULT 0,
                             min_samples integer DEFAULT 200,
                             as_of timestamptz DEFAULT now())
RETURNS TABLE (check_name text, observed numeric, threshold numeric, passed boolean, on_failure text)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    WITH w AS (SELECT * FROM assignment_v3_internal.rollup_window(window_length, as_of)),
    totals AS (
        SELECT coalesce(sum(events) FILTER (WHERE event_type IN ('coordinator.confirmed', 'coordinator.retry',
                   'coordinator.manual_review', 'coordinator.error')), 0) AS decisions,
               coalesce(sum(events) FILTER (WHERE event_type = 'coordinator.confirmed'), 0) AS confirmed,
               coalesce(sum(events) FILTER (WHERE event_type = 'coordinator.manual_review'), 0) AS manual_reviews,
               coalesce(sum(events) FILTER (WHERE event_type = 'coordinator.start'), 0) AS invocations,
               coalesce(sum(events) FILTER (WHERE event_type = 'coordinator.circuit_open'), 0) AS trips
        FROM w),
    buckets AS (
        SELECT d.bucket_start AS b, coalesce(assignment_v3_internal.pct(d.of_outcome, d.decisions), 0) > max_error_pct AS bad
        FROM assignment_v3_internal.decisions_per_bucket(window_length, '5 minutes', as_of, 'coordinator.error') d),
    runs AS (  -- consecutive bad buckets: gaps-and-islands over the 5-minute grid
        SELECT count(*) AS run_length
        FROM (SELECT b, b - (row_number() OVER (ORDER BY b)) * interval '5 minutes' AS island
              FROM buckets WHERE bad) s
        GROUP BY island),
    checks AS (
        SELECT 1 AS n, 'sample_size' AS check_name, t.decisions AS observed, min_samples::numeric AS threshold,
               t.decisions >= min_samples AS passed, 'hold' AS on_failure
        FROM totals t
        UNION ALL
        SELECT 2, 'success_rate', assignment_v3_internal.pct(t.confirmed, t.decisions), min_success_pct,
               coalesce(assignment_v3_internal.pct(t.confirmed, t.decisions) >= min_success_pct, false),
               CASE WHEN coalesce(assignment_v3_internal.pct(t.confirmed, t.decisions), 100) < min_success_pct - 5
                    THEN 'rollback' ELSE 'hold' END
        FROM totals t
        UNION ALL
        SELECT 3, 'manual_review_rate', assignment_v3_internal.pct(t.manual_reviews, t.invocations), max_manual_review_pct,
               coalesce(assignment_v3_internal.pct(t.manual_reviews, t.invocations) < max_manual_review_pct, false),
               CASE WHEN coalesce(assignment_v3_internal.pct(t.manual_reviews, t.invocations), 0) >= 3 * max_manual_review_pct
                    THEN 'rollback' ELSE 'hold' END
        FROM totals t
        UNION ALL
        SELECT 4, 'confirmation_rate', assignment_v3_internal.pct(t.confirmed, t.confirmed + t.manual_reviews),
               min_confirmation_pct,
               coalesce(assignment_v3_internal.pct(t.confirmed, t.confirmed + t.manual_reviews) >= min_confirmation_pct, false),
               CASE WHEN coalesce(assignment_v3_internal.pct(t.confirmed, t.confirmed + t.manual_reviews), 100)
                         < min_confirmation_pct - 5
                    THEN 'rollback' ELSE 'hold' END
        FROM totals t
        UNION ALL
        SELECT 5, 'sustained_errors', coalesce((SELECT max(run_length) FROM runs), 0), 1,
               coalesce((SELECT max(run_length) FROM runs), 0) <= 1, 'rollback'
        UNION ALL
        SELECT 6, 'circuit_trips', t.trips, max_circuit_trips, t.trips <= max_circuit_trips, 'rollback'
        FROM totals t)
    SELECT check_name, observed, threshold, passed, on_failure FROM checks ORDER BY n
$$;
COMMENT ON FUNCTION rollout_gate(interval, numeric, numeric, numeric, numeric, integer, integer, timestamptz) IS
    'The runbook''s exit criteria over a window: one row per check (observed, threshold, passed, on_failure).';
REVOKE ALL ON FUNCTION rollout_gate(interval, numeric, numeric, numeric, numeric, integer, integer, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION rollout_gate(interval, numeric, numeric, numeric, numeric, integer, integer, timestamptz) TO pg_monitor;

-- proceed (every check passed), hold (a check failed that asks to wait), rollback.
CREATE FUNCTION rollout_verdict(window_length interval DEFAULT '48 hours',
                                min_success_pct numeric DEFAULT 97,
                                max_manual_review_pct numeric DEFAULT 1,
                                min_confirmation_pct numeric DEFAULT 95,
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
    FROM assignment_v3.rollout_gate(window_length, min_success_pct, max_manual_review_pct, min_confirmation_pct,
                                    max_error_pct, max_circuit_trips, min_samples, as_of) g
$$;

COMMENT ON FUNCTION rollout_verdict(interval, numeric, numeric, numeric, numeric, integer, integer, timestamptz) IS
    'proceed, hold or rollback: the verdict of rollout_gate() over the same window and thresholds.';
REVOKE ALL ON FUNCTION rollout_verdict(interval, numeric, numeric, numeric, numeric, integer, integer, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION rollout_verdict(interval, numeric, numeric, numeric, numeric, integer, integer, timestamptz) TO pg_monitor;
