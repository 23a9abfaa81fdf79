--------------------------------------------------------------------------------------------
-- Rollout statistics: one function per question of the old runbook
--------------------------------------------------------------------------------------------
-- Each takes the window first (with the runbook's default) and `as_of` last (default now()):
-- the window covers the whole minutes from as_of - window up to as_of. Percentages are
-- numeric(5,2); a ratio over nothing is NULL. They are SECURITY DEFINER with a pinned
-- search_path, executable by pg_monitor (see the privileges at the end).

-- Which rollup buckets make up a window: the whole hours inside it (width 60) and the minutes
-- at its two ends (width 1), or minutes only when the caller bins by less than an hour. The
-- window starts with the minute of as_of - window_length and ends with the minute of as_of.
-- (The small helpers here are plain SQL without a SET clause so that the planner inlines them
-- into the statistics functions, which pin search_path.)
CREATE FUNCTION assignment_v3_internal.rollup_ranges(window_length interval, as_of timestamptz, hours_allowed boolean DEFAULT true)
RETURNS TABLE (width smallint, from_bucket timestamptz, to_bucket timestamptz)
LANGUAGE sql STABLE
AS $$
    WITH b AS (
        SELECT date_trunc('minute', as_of - window_length) AS lo,
               date_trunc('minute', as_of) + interval '1 minute' AS hi,
               CASE WHEN hours_allowed
                         AND date_trunc('hour', as_of - window_length) + interval '1 hour' < date_trunc('hour', as_of)
                    THEN date_trunc('hour', as_of - window_length) + interval '1 hour' END AS hlo,
               date_trunc('hour', as_of) AS hhi)
    SELECT 60::smallint, hlo, hhi FROM b WHERE hlo IS NOT NULL
    UNION ALL
    SELECT 1::smallint, lo, coalesce(hlo, hi) FROM b
    UNION ALL
    SELECT 1::smallint, hhi, hi FROM b WHERE hlo IS NOT NULL
$$;
REVOKE ALL ON FUNCTION assignment_v3_internal.rollup_ranges(interval, timestamptz, boolean) FROM PUBLIC;

-- The event rollup rows of a window: one index range scan per range (OFFSET 0 keeps the
-- planner from turning the three small ranges into a hash join over the whole table).
CREATE FUNCTION assignment_v3_internal.rollup_window(window_length interval, as_of timestamptz, hours_allowed boolean DEFAULT true)
RETURNS SETOF assignment_v3_internal.event_rollup
LANGUAGE sql STABLE
AS $$
    SELECT r.* FROM assignment_v3_internal.rollup_ranges(window_length, as_of, hours_allowed) g
    CROSS JOIN LATERAL (SELECT * FROM assignment_v3_internal.event_rollup e
                        WHERE e.width = g.width AND e.bucket >= g.from_bucket AND e.bucket < g.to_bucket
                        OFFSET 0) r
$$;
REVOKE ALL ON FUNCTION assignment_v3_internal.rollup_window(interval, timestamptz, boolean) FROM PUBLIC;

CREATE FUNCTION assignment_v3_internal.pct(part numeric, whole numeric) RETURNS numeric
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT CASE WHEN whole > 0 THEN round(100 * part / whole, 2) END $$;
REVOKE ALL ON FUNCTION assignment_v3_internal.pct(numeric, numeric) FROM PUBLIC;

-- Success and failure per event type: success means no context.reason.
CREATE FUNCTION outcome_summary(window_length interval DEFAULT '6 hours', as_of timestamptz DEFAULT now())
RETURNS TABLE (source text, event_type text, events bigint, successes bigint, failures bigint, success_pct numeric)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT r.source, r.event_type, sum(r.events)::bigint,
           coalesce(sum(r.events) FILTER (WHERE r.reason IS NULL), 0)::bigint,
           coalesce(sum(r.events) FILTER (WHERE r.reason IS NOT NULL), 0)::bigint,
           assignment_v3_internal.pct(coalesce(sum(r.events) FILTER (WHERE r.reason IS NULL), 0), sum(r.events))
    FROM assignment_v3_internal.rollup_window(window_length, as_of) r
    GROUP BY r.source, r.event_type
    ORDER BY r.source, r.event_type
$$;
COMMENT ON FUNCTION outcome_summary(interval, timestamptz) IS
    'Success and failure per event type over a window (the runbook''s first query): success means no context.reason.'
    ' Example: SELECT * FROM assignment_v3.outcome_summary(''6 hours'');';
REVOKE ALL ON FUNCTION outcome_summary(interval, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION outcome_summary(interval, timestamptz) TO pg_monitor;

-- Why bookings are retried, how often, and how long they wait.
CREATE FUNCTION retry_reasons(window_length interval DEFAULT '24 hours', as_of timestamptz DEFAULT now())
RETURNS TABLE (reason text, retries bigint, share_pct numeric, avg_delay_ms numeric, max_delay_ms numeric)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT r.reason, sum(r.events)::bigint,
           assignment_v3_internal.pct(sum(r.events), sum(sum(r.events)) OVER ()),
           round((sum(r.delay_ms_sum) / sum(r.events))::numeric, 1),
           round(max(r.delay_ms_max)::numeric, 1)
    FROM assignment_v3_internal.rollup_window(window_length, as_of) r
    WHERE r.event_type = 'coordinator.retry'
    GROUP BY r.reason
    ORDER BY 2 DESC, 1
$$;
COMMENT ON FUNCTION retry_reasons(interval, timestamptz) IS
    'Why V3 retried bookings, how often, and how long the retries waited.'
    ' Example: SELECT * FROM assignment_v3.retry_reasons(''24 hours'');';
REVOKE ALL ON FUNCTION retry_reasons(interval, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION retry_reasons(interval, timestamptz) TO pg_monitor;

-- Manual review rate of the V3 coordinator per restaurant, over the bookings it decided
-- (highest first); how many of those manual reviews the legacy rule would have seated.
CREATE FUNCTION manual_review_by_restaurant(window_length interval DEFAULT '24 hours',
                                            as_of timestamptz DEFAULT now())
RETURNS TABLE (restaurant_id uuid, restaurant text, invocations bigint, decided bigint, manual_reviews bigint,
               manual_review_pct numeric, legacy_would_seat bigint)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT c.restaurant_id, rs.name, c.invocations, c.decided, c.manual_reviews,
           assignment_v3_internal.pct(c.manual_reviews, c.decided), c.legacy_would_seat
    FROM (SELECT r.restaurant_id,
                 coalesce(sum(r.events) FILTER (WHERE r.event_type = 'coordinator.start'), 0)::bigint AS invocations,
                 coalesce(sum(r.events) FILTER (WHERE r.event_type IN ('coordinator.confirmed',
                                                                       'coordinator.manual_review')), 0)::bigint
                     AS decided,
                 coalesce(sum(r.events) FILTER (WHERE r.event_type = 'coordinator.manual_review'), 0)::bigint
                     AS manual_reviews,
                 coalesce(sum(r.events) FILTER (WHERE r.event_type = 'coordinator.manual_review'
                                                  AND r.detail = 'true'), 0)::bigint AS legacy_would_seat
          FROM assignment_v3_internal.rollup_window(window_length, as_of) r
          WHERE r.event_type IN ('coordinator.start', 'coordinator.confirmed', 'coordinator.manual_review')
          GROUP BY r.restaurant_id) c
    LEFT JOIN assignment_v3.restaurants rs ON rs.id = c.restaurant_id
    ORDER BY 5 DESC NULLS LAST, 3 DESC, 1
$$;
COMMENT ON FUNCTION manual_review_by_restaurant(interval, timestamptz) IS
    'Manual review rate of the V3 coordinator per restaurant, highest first.'
    ' Example: SELECT * FROM assignment_v3.manual_review_by_restaurant(''24 hours'') LIMIT 10;';
REVOKE ALL ON FUNCTION manual_review_by_restaurant(interval, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION manual_review_by_restaurant(interval, timestamptz) TO pg_monitor;

-- V3 decisions per time bucket, and how many were of one outcome. A decision settles a booking
-- (confirmed, manual_review) or fails (error); a retry (rate limited, no table free yet) decides
-- nothing yet: the booking is counted once, when it is decided. Noops are not decisions.
-- Shared by confirmation_rate(), error_rate() and the gate.
CREATE FUNCTION assignment_v3_internal.decisions_per_bucket(window_length interval, bucket interval, as_of timestamptz, outcome text)
RETURNS TABLE (bucket_start timestamptz, decisions bigint, of_outcome bigint)
LANGUAGE sql STABLE
AS $$
    SELECT date_bin(decisions_per_bucket.bucket, r.bucket, timestamptz '2000-01-01'), sum(r.events)::bigint,
           coalesce(sum(r.events) FILTER (WHERE r.event_type = outcome), 0)::bigint
    FROM assignment_v3_internal.rollup_window(window_length, as_of,
                                     hours_allowed => extract(epoch FROM decisions_per_bucket.bucket)::bigint % 3600 = 0) r
    WHERE r.event_type IN ('coordinator.confirmed', 'coordinator.manual_review', 'coordinator.error')
    GROUP BY 1
$$;
REVOKE ALL ON FUNCTION assignment_v3_internal.decisions_per_bucket(interval, interval, timestamptz, text) FROM PUBLIC;

-- Share of V3 decisions that seated the party, per time bucket.
CREATE FUNCTION confirmation_rate(window_length interval DEFAULT '24 hours', bucket interval DEFAULT '1 hour',
                                  as_of timestamptz DEFAULT now())
RETURNS TABLE (bucket_start timestamptz, decisions bigint, confirmed bigint, confirmation_pct numeric)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT d.bucket_start, d.decisions, d.of_outcome, assignment_v3_internal.pct(d.of_outcome, d.decisions)
    FROM assignment_v3_internal.decisions_per_bucket(window_length, bucket, as_of, 'coordinator.confirmed') d
    ORDER BY 1
$$;
COMMENT ON FUNCTION confirmation_rate(interval, interval, timestamptz) IS
    'Share of V3 decisions that seated the party, per time bucket.'
    ' Example: SELECT * FROM assignment_v3.confirmation_rate(''24 hours'', ''1 hour'');';
REVOKE ALL ON FUNCTION confirmation_rate(interval, interval, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION confirmation_rate(interval, interval, timestamptz) TO pg_monitor;

-- State transitions per kind, against V3 invocations: a rising ratio means bookings churn.
CREATE FUNCTION transition_volume(window_length interval DEFAULT '1 hour', as_of timestamptz DEFAULT now())
RETURNS TABLE (from_state text, to_state text, transitions bigint, per_invocation numeric)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    WITH w AS (SELECT * FROM assignment_v3_internal.rollup_window(window_length, as_of)),
    invocations AS (SELECT sum(events) AS n FROM w WHERE event_type = 'coordinator.start'),
    t AS (SELECT split_part(detail, '>', 1) AS from_state, split_part(detail, '>', 2) AS to_state,
                 sum(events)::bigint AS transitions
          FROM w WHERE event_type = 'booking.assignment_state_transition'
          GROUP BY 1, 2)
    SELECT t.from_state, t.to_state, t.transitions,
           CASE WHEN i.n > 0 THEN round(t.transitions / i.n, 3) END
    FROM t, invocations i
    UNION ALL
    SELECT 'all', 'all', coalesce(sum(t.transitions), 0)::bigint,
           CASE WHEN max(i.n) > 0 THEN round(coalesce(sum(t.transitions), 0) / max(i.n), 3) END
    FROM t RIGHT JOIN invocations i ON true
    ORDER BY 3 DESC, 1, 2
$$;
COMMENT ON FUNCTION transition_volume(interval, timestamptz) IS
    'State transitions per kind against V3 invocations: a rising ratio means bookings churn.'
    ' Example: SELECT * FROM assignment_v3.transition_volume(''1 hour'');';
REVOKE ALL ON FUNCTION transition_volume(interval, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION transition_volume(interval, timestamptz) TO pg_monitor;

-- Who served the bookings: the V3 coordinator, the legacy planner, and shadow plans.
CREATE FUNCTION pipeline_mix(window_length interval DEFAULT '1 hour', as_of timestamptz DEFAULT now())
RETURNS TABLE (pipeline text, invocations bigint, confirmed bigint, manual_review bigint, share_pct numeric)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    WITH w AS (SELECT * FROM assignment_v3_internal.rollup_window(window_length, as_of)),
    p AS (
        SELECT 'v3' AS pipeline,
               coalesce(sum(events) FILTER (WHERE event_type = 'coordinator.start'), 0)::bigint AS invocations,
               coalesce(sum(events) FILTER (WHERE event_type = 'coordinator.confirmed'), 0)::bigint AS confirmed,
               coalesce(sum(events) FILTER (WHERE event_type = 'coordinator.manual_review'), 0)::bigint AS manual_review
        FROM w
        UNION ALL
        SELECT 'legacy',
               coalesce(sum(events) FILTER (WHERE event_type = 'auto_assign.summary' AND detail <> 'noop'), 0)::bigint,
               coalesce(sum(events) FILTER (WHERE event_type = 'auto_assign.summary' AND detail = 'confirmed'), 0)::bigint,
               coalesce(sum(events) FILTER (WHERE event_type = 'auto_assign.summary' AND detail = 'manual_review'), 0)::bigint
        FROM w)
    SELECT p.pipeline, p.invocations, p.confirmed, p.manual_review,
           assignment_v3_internal.pct(p.invocations, sum(p.invocations) OVER ())
    FROM p
    UNION ALL
    SELECT 'shadow (plans only)', coalesce(sum(events), 0)::bigint,
           coalesce(sum(events) FILTER (WHERE reason IS NULL), 0)::bigint, NULL, NULL
    FROM w WHERE event_type = 'coordinator.shadow_plan'
$$;
COMMENT ON FUNCTION pipeline_mix(interval, timestamptz) IS
    'Who served the bookings: the V3 coordinator, the legacy planner, and shadow plans.'
    ' Example: SELECT * FROM assignment_v3.pipeline_mix(''1 hour'');';
REVOKE ALL ON FUNCTION pipeline_mix(interval, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION pipeline_mix(interval, timestamptz) TO pg_monitor;

-- Unexpected errors of the V3 coordinator per time bucket, against its decisions.
CREATE FUNCTION error_rate(window_length interval DEFAULT '24 hours', bucket interval DEFAULT '5 minutes',
                           as_of timestamptz DEFAULT now())
RETURNS TABLE (bucket_start timestamptz, decisions bigint, errors bigint, error_pct numeric)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT d.bucket_start, d.decisions, d.of_outcome, assignment_v3_internal.pct(d.of_outcome, d.decisions)
    FROM assignment_v3_internal.decisions_per_bucket(window_length, bucket, as_of, 'coordinator.error') d
    ORDER BY 1
$$;
COMMENT ON FUNCTION error_rate(interval, interval, timestamptz) IS
    'Unexpected errors of the V3 coordinator per time bucket, against its decisions.'
    ' Example: SELECT * FROM assignment_v3.error_rate(''1 hour'', ''5 minutes'');';
REVOKE ALL ON FUNCTION error_rate(interval, interval, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION error_rate(interval, interval, timestamptz) TO pg_monitor;

-- Why bookings end in manual review, per pipeline.
CREATE FUNCTION manual_review_reasons(window_length interval DEFAULT '24 hours', as_of timestamptz DEFAULT now())
RETURNS TABLE (pipeline text, reason text, manual_reviews bigint, share_pct numeric)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE WHEN r.event_type = 'coordinator.manual_review' THEN 'v3' ELSE 'legacy' END, r.reason,
           sum(r.events)::bigint,
           assignment_v3_internal.pct(sum(r.events), sum(sum(r.events)) OVER (
               PARTITION BY CASE WHEN r.event_type = 'coordinator.manual_review' THEN 'v3' ELSE 'legacy' END))
    FROM assignment_v3_internal.rollup_window(window_length, as_of) r
    WHERE r.event_type = 'coordinator.manual_review'
       OR (r.event_type = 'auto_assign.summary' AND r.detail = 'manual_review')
    GROUP BY 1, 2
    ORDER BY 1 DESC, 3 DESC, 2
$$;
COMMENT ON FUNCTION manual_review_reasons(interval, timestamptz) IS
    'Why bookings end in manual review, per pipeline.'
    ' Example: SELECT * FROM assignment_v3.manual_review_reasons(''24 hours'');';
REVOKE ALL ON FUNCTION manual_review_reasons(interval, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION manual_review_reasons(interval, timestamptz) TO pg_monitor;

-- Latency from booking (queued) to confirmation per pipeline: percentiles at 2% resolution
-- (the upper edge of their histogram bucket), the maximum exact.
CREATE FUNCTION latency(window_length interval DEFAULT '24 hours', as_of timestamptz DEFAULT now())
RETURNS TABLE (pipeline text, confirmations bigint, p50_ms double precision, p95_ms double precision,
               p99_ms double precision, max_ms double precision)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    WITH h AS (
        SELECT l.pipeline, l.latency_bucket, sum(l.confirmations) AS n
        FROM assignment_v3_internal.rollup_ranges(window_length, as_of) g
        CROSS JOIN LATERAL (SELECT * FROM assignment_v3_internal.latency_rollup x
                            WHERE x.width = g.width AND x.bucket >= g.from_bucket AND x.bucket < g.to_bucket
                            OFFSET 0) l
        GROUP BY 1, 2),
    c AS (
        SELECT h.*, sum(n) OVER (PARTITION BY pipeline ORDER BY latency_bucket) AS cumulative,
               sum(n) OVER (PARTITION BY pipeline) AS total
        FROM h),
    m AS (
        SELECT CASE WHEN event_type = 'coordinator.confirmed' THEN 'v3' ELSE 'legacy' END AS pipeline,
               max(latency_ms_max) AS max_ms
        FROM assignment_v3_internal.rollup_window(window_length, as_of)
        WHERE event_type = 'coordinator.confirmed' OR (event_type = 'auto_assign.summary' AND detail = 'confirmed')
        GROUP BY 1)
    SELECT c.pipeline, max(c.total)::bigint,
           assignment_v3_internal.latency_bucket_upper_ms(min(c.latency_bucket) FILTER (WHERE c.cumulative >= 0.50 * c.total)),
           assignment_v3_internal.latency_bucket_upper_ms(min(c.latency_bucket) FILTER (WHERE c.cumulative >= 0.95 * c.total)),
           assignment_v3_internal.latency_bucket_upper_ms(min(c.latency_bucket) FILTER (WHERE c.cumulative >= 0.99 * c.total)),
           round(max(m.max_ms)::numeric, 3)::double precision
    FROM c LEFT JOIN m ON m.pipeline = c.pipeline
    GROUP BY c.pipeline
    ORDER BY 1 DESC
$$;
COMMENT ON FUNCTION latency(interval, timestamptz) IS
    'Booking-to-confirmation latency per pipeline: p50, p95, p99 (2% resolution) and the exact maximum.'
    ' Example: SELECT * FROM assignment_v3.latency(''1 hour'');';
REVOKE ALL ON FUNCTION latency(interval, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION latency(interval, timestamptz) TO pg_monitor;

-- How V3's shadow plans compare with what the legacy planner did for the same booking version.
CREATE FUNCTION shadow_agreement(window_length interval DEFAULT '24 hours', as_of timestamptz DEFAULT now())
RETURNS TABLE (comparison text, bookings bigint, share_pct numeric)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    WITH compared AS (
        SELECT CASE
                   WHEN p.outcome = 'confirmed' AND p.legacy_outcome = 'confirmed'
                        AND p.table_ids @> p.legacy_table_ids AND p.table_ids <@ p.legacy_table_ids
                       THEN 'same tables'
                   WHEN p.outcome = 'confirmed' AND p.legacy_outcome = 'confirmed'
                       THEN 'both seat, other tables'
                   WHEN p.outcome = 'confirmed' AND p.legacy_outcome = 'manual_review'
                       THEN 'v3 would seat, legacy sent to manual review'
                   WHEN p.outcome <> 'confirmed' AND p.legacy_outcome = 'confirmed'
                       THEN 'legacy seated, v3 would not'
                   WHEN p.outcome <> 'confirmed' AND p.legacy_outcome = 'manual_review'
                       THEN 'neither seats'
                   ELSE 'legacy undecided (retry, error or not recorded)'
               END AS comparison
        FROM assignment_v3.shadow_plans p
        WHERE p.computed_at >= as_of - window_length AND p.computed_at <= as_of)
    SELECT comparison, count(*), assignment_v3_internal.pct(count(*), sum(count(*)) OVER ())
    FROM compared
    GROUP BY comparison
    ORDER BY 2 DESC, 1
$$;

COMMENT ON FUNCTION shadow_agreement(interval, timestamptz) IS
    'How V3''s shadow plans compare with what the legacy planner did for the same booking version.'
    ' Example: SELECT * FROM assignment_v3.shadow_agreement(''24 hours'');';
REVOKE ALL ON FUNCTION shadow_agreement(interval, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION shadow_agreement(interval, timestamptz) TO pg_monitor;
