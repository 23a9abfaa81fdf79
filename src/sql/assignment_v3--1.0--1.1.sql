-- assignment_v3 1.0 -> 1.1, run by ALTER EXTENSION assignment_v3 UPDATE (written by hand; see
-- src/sql/README.md). Every statement here leaves the catalog as a fresh 1.1 install makes it:
-- test/tap/010_upgrade.pl compares the two.
\echo Use "ALTER EXTENSION assignment_v3 UPDATE TO '1.1'" to load this file. \quit
SET LOCAL search_path = assignment_v3, pg_catalog;

--------------------------------------------------------------------------------------------
-- Internals move to their own schema
--------------------------------------------------------------------------------------------
CREATE SCHEMA assignment_v3_internal;
REVOKE ALL ON SCHEMA assignment_v3_internal FROM PUBLIC;

ALTER FUNCTION is_known_timezone(text) SET SCHEMA assignment_v3_internal;
ALTER FUNCTION table_adjacency_check() SET SCHEMA assignment_v3_internal;
ALTER FUNCTION bookings_guard() SET SCHEMA assignment_v3_internal;
ALTER FUNCTION bookings_wake_workers() SET SCHEMA assignment_v3_internal;
ALTER FUNCTION inventory_changed() SET SCHEMA assignment_v3_internal;
ALTER FUNCTION worker_slots() SET SCHEMA assignment_v3_internal;
ALTER FUNCTION attach_workers() SET SCHEMA assignment_v3_internal;
ALTER FUNCTION rollup_writer() SET SCHEMA assignment_v3_internal;
ALTER FUNCTION latency_bucket(double precision) SET SCHEMA assignment_v3_internal;
ALTER FUNCTION latency_bucket_upper_ms(integer) SET SCHEMA assignment_v3_internal;
ALTER FUNCTION rollup_statement(text, text) SET SCHEMA assignment_v3_internal;
ALTER FUNCTION roll_up_events() SET SCHEMA assignment_v3_internal;
ALTER FUNCTION rollup_ranges(interval, timestamptz, boolean) SET SCHEMA assignment_v3_internal;
ALTER FUNCTION rollup_window(interval, timestamptz, boolean) SET SCHEMA assignment_v3_internal;
ALTER FUNCTION pct(numeric, numeric) SET SCHEMA assignment_v3_internal;
ALTER FUNCTION decisions_per_bucket(interval, interval, timestamptz, text) SET SCHEMA assignment_v3_internal;
ALTER TABLE event_rollup SET SCHEMA assignment_v3_internal;
ALTER TABLE latency_rollup SET SCHEMA assignment_v3_internal;

-- Function bodies are text: those that named a moved object are replaced with their 1.1 text
-- (which also brings the standby check of cancel_booking()).

CREATE OR REPLACE FUNCTION assignment_v3_internal.rollup_statement(events text, rollup text) RETURNS text
LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
    SELECT CASE rollup
    WHEN 'events' THEN format($q$
        INSERT INTO assignment_v3_internal.event_rollup AS r
            (width, bucket, source, event_type, reason, detail, restaurant_id, writer, events, delay_ms_sum,
             delay_ms_max, latency_ms_max)
        SELECT w.width, date_trunc(w.unit, e.created_at), e.source, e.event_type, e.context->>'reason',
               CASE e.event_type
                   WHEN 'booking.assignment_state_transition' THEN (e.context->>'from') || '>' || (e.context->>'to')
                   WHEN 'auto_assign.summary' THEN e.context->>'outcome'
                   WHEN 'coordinator.manual_review' THEN e.context->>'legacy_would_seat'
               END,
               CASE WHEN e.event_type IN ('coordinator.start', 'coordinator.confirmed', 'coordinator.manual_review')
                    THEN e.restaurant_id END,
               assignment_v3_internal.rollup_writer(), count(*),
               coalesce(sum((e.context->>'delay_ms')::float8), 0), max((e.context->>'delay_ms')::float8),
               max((e.context->>'latency_ms')::float8)
        FROM %s e CROSS JOIN (VALUES (1::smallint, 'minute'), (60::smallint, 'hour')) AS w(width, unit)
        GROUP BY 1, 2, 3, 4, 5, 6, 7
        ON CONFLICT ON CONSTRAINT event_rollup_key DO UPDATE SET
            events = r.events + excluded.events,
            delay_ms_sum = r.delay_ms_sum + excluded.delay_ms_sum,
            delay_ms_max = greatest(r.delay_ms_max, excluded.delay_ms_max),
            latency_ms_max = greatest(r.latency_ms_max, excluded.latency_ms_max)$q$, events)
    WHEN 'latency' THEN format($q$
        INSERT INTO assignment_v3_internal.latency_rollup AS r (width, bucket, pipeline, latency_bucket, writer, confirmations)
        SELECT w.width, date_trunc(w.unit, e.created_at),
               CASE WHEN e.event_type = 'coordinator.confirmed' THEN 'v3' ELSE 'legacy' END,
               assignment_v3_internal.latency_bucket((e.context->>'latency_ms')::float8),
               assignment_v3_internal.rollup_writer(), count(*)
        FROM %s e CROSS JOIN (VALUES (1::smallint, 'minute'), (60::smallint, 'hour')) AS w(width, unit)
        WHERE e.event_type IN ('coordinator.confirmed', 'auto_assign.summary') AND e.context ? 'latency_ms'
        GROUP BY 1, 2, 3, 4
        ON CONFLICT ON CONSTRAINT latency_rollup_key DO UPDATE SET
            confirmations = r.confirmations + excluded.confirmations$q$, events)
    END
$fn$;

CREATE OR REPLACE FUNCTION assignment_v3_internal.roll_up_events() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    -- The transition table is visible to this function's own statements only, hence EXECUTE here.
    EXECUTE assignment_v3_internal.rollup_statement('new_events', 'events');
    EXECUTE assignment_v3_internal.rollup_statement('new_events', 'latency');
    RETURN NULL;
END;
$$;

CREATE OR REPLACE FUNCTION rebuild_event_rollups(from_time timestamptz, to_time timestamptz) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    lower_bound timestamptz := date_trunc('hour', from_time);
    upper_bound timestamptz := date_trunc('hour', to_time - interval '1 microsecond') + interval '1 hour';
    events bigint;
BEGIN
    IF from_time IS NULL OR to_time IS NULL OR to_time <= from_time THEN
        RAISE EXCEPTION 'rebuild_event_rollups() needs from_time < to_time'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    DELETE FROM assignment_v3_internal.event_rollup WHERE bucket >= lower_bound AND bucket < upper_bound;
    DELETE FROM assignment_v3_internal.latency_rollup WHERE bucket >= lower_bound AND bucket < upper_bound;
    EXECUTE assignment_v3_internal.rollup_statement(
        format('(SELECT * FROM assignment_v3.observability_events WHERE created_at >= %L AND created_at < %L)',
               lower_bound, upper_bound), 'events');
    EXECUTE assignment_v3_internal.rollup_statement(
        format('(SELECT * FROM assignment_v3.observability_events WHERE created_at >= %L AND created_at < %L)',
               lower_bound, upper_bound), 'latency');
    SELECT count(*) INTO events FROM assignment_v3.observability_events
    WHERE created_at >= lower_bound AND created_at < upper_bound;
    RETURN events;
END;
$$;

CREATE OR REPLACE FUNCTION assignment_v3_internal.rollup_window(window_length interval, as_of timestamptz, hours_allowed boolean DEFAULT true)
RETURNS SETOF assignment_v3_internal.event_rollup
LANGUAGE sql STABLE
AS $$
    SELECT r.* FROM assignment_v3_internal.rollup_ranges(window_length, as_of, hours_allowed) g
    CROSS JOIN LATERAL (SELECT * FROM assignment_v3_internal.event_rollup e
                        WHERE e.width = g.width AND e.bucket >= g.from_bucket AND e.bucket < g.to_bucket
                        OFFSET 0) r
$$;

CREATE OR REPLACE FUNCTION assignment_v3_internal.decisions_per_bucket(window_length interval, bucket interval, as_of timestamptz, outcome text)
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

CREATE OR REPLACE FUNCTION outcome_summary(window_length interval DEFAULT '6 hours', as_of timestamptz DEFAULT now())
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

CREATE OR REPLACE FUNCTION retry_reasons(window_length interval DEFAULT '24 hours', as_of timestamptz DEFAULT now())
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

CREATE OR REPLACE FUNCTION confirmation_rate(window_length interval DEFAULT '24 hours', bucket interval DEFAULT '1 hour',
                                  as_of timestamptz DEFAULT now())
RETURNS TABLE (bucket_start timestamptz, decisions bigint, confirmed bigint, confirmation_pct numeric)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT d.bucket_start, d.decisions, d.of_outcome, assignment_v3_internal.pct(d.of_outcome, d.decisions)
    FROM assignment_v3_internal.decisions_per_bucket(window_length, bucket, as_of, 'coordinator.confirmed') d
    ORDER BY 1
$$;

CREATE OR REPLACE FUNCTION transition_volume(window_length interval DEFAULT '1 hour', as_of timestamptz DEFAULT now())
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

CREATE OR REPLACE FUNCTION pipeline_mix(window_length interval DEFAULT '1 hour', as_of timestamptz DEFAULT now())
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

CREATE OR REPLACE FUNCTION error_rate(window_length interval DEFAULT '24 hours', bucket interval DEFAULT '5 minutes',
                           as_of timestamptz DEFAULT now())
RETURNS TABLE (bucket_start timestamptz, decisions bigint, errors bigint, error_pct numeric)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT d.bucket_start, d.decisions, d.of_outcome, assignment_v3_internal.pct(d.of_outcome, d.decisions)
    FROM assignment_v3_internal.decisions_per_bucket(window_length, bucket, as_of, 'coordinator.error') d
    ORDER BY 1
$$;

CREATE OR REPLACE FUNCTION manual_review_reasons(window_length interval DEFAULT '24 hours', as_of timestamptz DEFAULT now())
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

CREATE OR REPLACE FUNCTION latency(window_length interval DEFAULT '24 hours', as_of timestamptz DEFAULT now())
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

CREATE OR REPLACE FUNCTION shadow_agreement(window_length interval DEFAULT '24 hours', as_of timestamptz DEFAULT now())
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

CREATE OR REPLACE FUNCTION grant_worker_privileges(worker_role name) RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = worker_role) THEN
        RAISE EXCEPTION 'role "%" does not exist', worker_role
            USING ERRCODE = 'undefined_object',
                  HINT = format('CREATE ROLE %I LOGIN; then call this function again.', worker_role);
    END IF;
    EXECUTE format('GRANT USAGE ON SCHEMA assignment_v3, assignment_v3_internal TO %I', worker_role);
    EXECUTE format('GRANT SELECT ON assignment_v3.restaurants, assignment_v3.restaurant_tables,
                    assignment_v3.table_adjacency, assignment_v3.restaurant_rollout TO %I', worker_role);
    EXECUTE format('GRANT SELECT, UPDATE ON assignment_v3.bookings TO %I', worker_role);
    EXECUTE format('GRANT SELECT, INSERT, DELETE ON assignment_v3.table_assignments,
                    assignment_v3.observability_events TO %I', worker_role);
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON assignment_v3.shadow_plans TO %I', worker_role);
    -- Worker 0 settles the seatings that have ended (settle_seatings()).
    EXECUTE format('GRANT UPDATE (settled) ON assignment_v3.table_assignments TO %I', worker_role);
    EXECUTE format('GRANT SELECT, INSERT, UPDATE ON assignment_v3_internal.settled_horizon TO %I', worker_role);
    -- The rollups: the workers count their own events into them (and purge them with the events).
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON assignment_v3_internal.event_rollup,
                    assignment_v3_internal.latency_rollup TO %I', worker_role);
    -- The kill switch: every worker reads it, worker 0 trips it from the gate's verdict.
    EXECUTE format('GRANT SELECT, INSERT, UPDATE ON assignment_v3_internal.kill_switch TO %I', worker_role);
    EXECUTE format('GRANT EXECUTE ON FUNCTION
                    assignment_v3.rollout_gate(interval, numeric, numeric, numeric, integer, integer, timestamptz),
                    assignment_v3.rollout_evidence(interval, timestamptz) TO %I', worker_role);
END;
$$;

CREATE OR REPLACE FUNCTION cancel_booking(booking_id uuid) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    current_status text;
BEGIN
    IF booking_id IS NULL THEN
        RAISE EXCEPTION 'booking_id must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF pg_is_in_recovery() THEN
        RAISE EXCEPTION 'assignment_v3.cancel_booking() cannot run on a standby'
            USING ERRCODE = 'read_only_sql_transaction',
                  DETAIL = 'This server is in recovery (a streaming standby); bookings change on the primary.',
                  HINT = 'Connect to the primary, or promote this server.';
    END IF;
    SELECT b.status INTO current_status FROM assignment_v3.bookings b WHERE b.id = booking_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'booking % does not exist', booking_id
            USING ERRCODE = 'no_data_found', HINT = 'Check the id against assignment_v3.bookings.';
    END IF;
    IF current_status = 'cancelled' THEN
        RETURN false;
    END IF;
    -- The bookings triggers release the tables, wake waiting retries and record the transition.
    UPDATE assignment_v3.bookings b SET status = 'cancelled' WHERE b.id = booking_id;
    RETURN true;
END;
$$;

--------------------------------------------------------------------------------------------
-- The gate judges the pipeline per booking decided (docs/rollout-runbook.md, "The gate")
--------------------------------------------------------------------------------------------
-- Result types change: dropped and created again, with their privileges and comments.
DROP FUNCTION rollout_verdict(interval, numeric, numeric, numeric, numeric, integer, integer, timestamptz);
DROP FUNCTION rollout_gate(interval, numeric, numeric, numeric, numeric, integer, integer, timestamptz);
DROP FUNCTION manual_review_by_restaurant(interval, timestamptz);

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

--------------------------------------------------------------------------------------------
-- The automatic kill switch
--------------------------------------------------------------------------------------------

CREATE TABLE assignment_v3_internal.kill_switch (
    singleton  boolean PRIMARY KEY DEFAULT true
        CONSTRAINT kill_switch_has_one_row CHECK (singleton),
    tripped_at timestamptz,  -- NULL: not tripped
    reason     text,
    evidence   jsonb,
    cleared_at timestamptz,  -- the gate judges only what happened after the last clear
    cleared_by text
);
COMMENT ON TABLE assignment_v3_internal.kill_switch IS
    'The automatic kill switch: tripped (tripped_at, reason, evidence) until cleared by clear_auto_rollback().';
REVOKE ALL ON TABLE assignment_v3_internal.kill_switch FROM PUBLIC;
-- A tripped switch stays tripped through a backup and restore.
SELECT pg_catalog.pg_extension_config_dump('assignment_v3_internal.kill_switch', '');

CREATE FUNCTION clear_auto_rollback() RETURNS boolean
AS 'MODULE_PATHNAME', 'av3_clear_auto_rollback' LANGUAGE C VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION clear_auto_rollback() IS
    'Puts V3 back in service after the kill switch tripped (the gate then judges only what happens '
    'from now on); returns false when it was not tripped.'
    ' Example: SELECT assignment_v3.clear_auto_rollback();';
REVOKE ALL ON FUNCTION clear_auto_rollback() FROM PUBLIC;

--------------------------------------------------------------------------------------------
-- status() says whether the workers serve, and why not
--------------------------------------------------------------------------------------------

CREATE FUNCTION assignment_v3_internal.service_state(
    OUT service text, OUT detail text, OUT library_version text, OUT in_recovery boolean)
RETURNS record
AS 'MODULE_PATHNAME', 'av3_service_state' LANGUAGE C VOLATILE;
REVOKE ALL ON FUNCTION assignment_v3_internal.service_state() FROM PUBLIC;

DROP FUNCTION status();
CREATE FUNCTION status(
    OUT mode text, OUT enabled boolean, OUT shadow boolean, OUT legacy_planner boolean,
    OUT rollout_percent integer, OUT max_parallel integer, OUT launcher text, OUT workers_running integer,
    OUT queue_depth bigint, OUT due_now bigint, OUT oldest_due timestamptz, OUT manual_review bigint,
    OUT circuit_state text, OUT circuit_trips bigint, OUT service text, OUT service_detail text,
    OUT extension_version text, OUT library_version text, OUT auto_rollback text,
    OUT auto_rollback_at timestamptz, OUT auto_rollback_reason text)
RETURNS record
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE
               WHEN current_setting('assignment_v3.enabled')::boolean AND k.tripped_at IS NULL
                   THEN CASE WHEN current_setting('assignment_v3.rollout_percent')::int = 100
                             THEN 'v3' ELSE 'v3 partial' END
               WHEN current_setting('assignment_v3.shadow')::boolean
                    AND current_setting('assignment_v3.legacy_planner')::boolean THEN 'shadow'
               WHEN current_setting('assignment_v3.legacy_planner')::boolean THEN 'legacy'
               ELSE 'off'
           END,
           current_setting('assignment_v3.enabled')::boolean,
           current_setting('assignment_v3.shadow')::boolean,
           current_setting('assignment_v3.legacy_planner')::boolean,
           current_setting('assignment_v3.rollout_percent')::int,
           current_setting('assignment_v3.max_parallel')::int,
           (SELECT l.state FROM assignment_v3.launcher() l),
           (SELECT count(*)::int FROM assignment_v3.workers w WHERE w.pid IS NOT NULL),
           q.queue_depth, q.due_now, q.oldest_due,
           (SELECT count(*) FROM assignment_v3.bookings b WHERE b.assignment_state = 'manual_review'),
           c.state, c.trips,
           s.service, s.detail,
           (SELECT e.extversion FROM pg_catalog.pg_extension e WHERE e.extname = 'assignment_v3'),
           s.library_version,
           CASE WHEN k.tripped_at IS NOT NULL THEN 'tripped'
                WHEN current_setting('assignment_v3.auto_rollback')::boolean THEN 'armed'
                ELSE 'off' END,
           k.tripped_at, k.reason
    FROM (SELECT count(*) AS queue_depth,
                 count(*) FILTER (WHERE b.next_attempt_at <= now()) AS due_now,
                 min(b.next_attempt_at) FILTER (WHERE b.next_attempt_at <= now()) AS oldest_due
          FROM assignment_v3.bookings b
          WHERE b.status = 'pending' AND b.assignment_state IN ('created', 'retry_scheduled')) q,
         assignment_v3.circuit_breaker() c,
         assignment_v3_internal.service_state() s
         LEFT JOIN assignment_v3_internal.kill_switch k ON true
$$;
REVOKE ALL ON FUNCTION status() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION status() TO pg_monitor;

--------------------------------------------------------------------------------------------
-- Statements over many bookings: side effects at the end of the statement; deletions
--------------------------------------------------------------------------------------------

CREATE FUNCTION assignment_v3_internal.bookings_deleted() RETURNS trigger
    AS 'MODULE_PATHNAME', 'av3_bookings_deleted' LANGUAGE C SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp;
REVOKE ALL ON FUNCTION assignment_v3_internal.bookings_deleted() FROM PUBLIC;
CREATE TRIGGER bookings_deleted
    AFTER DELETE ON bookings
    REFERENCING OLD TABLE AS deleted_bookings
    FOR EACH STATEMENT EXECUTE FUNCTION assignment_v3_internal.bookings_deleted();

CREATE FUNCTION assignment_v3_internal.assignments_changed() RETURNS trigger
    AS 'MODULE_PATHNAME', 'av3_assignments_changed' LANGUAGE C SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp;
REVOKE ALL ON FUNCTION assignment_v3_internal.assignments_changed() FROM PUBLIC;
CREATE TRIGGER table_assignments_changed
    AFTER INSERT OR UPDATE OR DELETE ON table_assignments
    FOR EACH STATEMENT EXECUTE FUNCTION assignment_v3_internal.assignments_changed();
CREATE TRIGGER table_assignments_truncated
    AFTER TRUNCATE ON table_assignments
    FOR EACH STATEMENT EXECUTE FUNCTION assignment_v3_internal.assignments_changed();

-- The due index without the always-true predicate that kept the planner off it elsewhere: the
-- queue's statements are planned at each execution now (docs/architecture.md, "Plans").
DROP INDEX bookings_due_idx;
CREATE INDEX bookings_due_idx ON bookings (next_attempt_at)
    WHERE status = 'pending' AND assignment_state IN ('created', 'retry_scheduled');
-- The manual review queue, which status() counts at every scrape of the monitoring.
CREATE INDEX bookings_manual_review_idx ON bookings (restaurant_id) WHERE assignment_state = 'manual_review';

--------------------------------------------------------------------------------------------
-- Inventory changes re-seat the bookings they affect
--------------------------------------------------------------------------------------------

CREATE FUNCTION assignment_v3_internal.tables_connected(restaurant uuid, tables uuid[]) RETURNS boolean
LANGUAGE sql STABLE
AS $$
    WITH RECURSIVE reached(id) AS (
        SELECT tables[1]
        UNION
        SELECT CASE WHEN e.table_a = r.id THEN e.table_b ELSE e.table_a END
        FROM reached r
        JOIN assignment_v3.table_adjacency e
          ON e.restaurant_id = restaurant AND (e.table_a = r.id OR e.table_b = r.id)
        WHERE CASE WHEN e.table_a = r.id THEN e.table_b ELSE e.table_a END = ANY (tables))
    SELECT count(*) = cardinality(tables) FROM reached
$$;
REVOKE ALL ON FUNCTION assignment_v3_internal.tables_connected(uuid, uuid[]) FROM PUBLIC;

-- Confirmed bookings not yet over (of the given restaurants; NULL: all) whose tables can no
-- longer seat them as assigned: a table inactive; fewer seats than the party; a combination
-- whose tables are no longer in one zone or no longer adjacent. (An operator's manual seating
-- need not be a combination of adjacent tables: it is checked for active tables and seats.)
-- `invariant` is the name check_invariants() reports, `reason` the re-seating's reason.
CREATE FUNCTION assignment_v3_internal.seating_problems(restaurant_ids uuid[])
RETURNS TABLE (booking_id uuid, restaurant_id uuid, invariant text, reason text, detail text,
               under_way boolean)
LANGUAGE sql STABLE
AS $$
    WITH seated AS (
        SELECT b.id, b.restaurant_id, b.party_size, b.start_at,
               array_agg(t.id ORDER BY t.id) AS tables,
               string_agg(t.label, '+' ORDER BY t.label) AS labels,
               string_agg(t.label, '+' ORDER BY t.label) FILTER (WHERE NOT t.active) AS inactive,
               sum(t.capacity) AS seats,
               count(DISTINCT t.zone) AS zones,
               bool_or(a.pipeline = 'manual') AS manual
        FROM assignment_v3.bookings b
        JOIN assignment_v3.table_assignments a ON a.booking_id = b.id
        JOIN assignment_v3.restaurant_tables t ON t.id = a.table_id
        WHERE b.assignment_state = 'confirmed' AND b.end_at > now()
          AND (restaurant_ids IS NULL OR b.restaurant_id = ANY (restaurant_ids))
        GROUP BY b.id)
    SELECT s.id, s.restaurant_id, p.invariant, p.reason, p.detail, s.start_at <= now()
    FROM seated s
    CROSS JOIN LATERAL (
        SELECT 'confirmed_on_inactive_table' AS invariant, 'table_inactive' AS reason,
               format('table %s is inactive', s.inactive) AS detail
        WHERE s.inactive IS NOT NULL
        UNION ALL
        SELECT 'confirmed_without_enough_seats', 'too_few_seats',
               format('party of %s, %s seats at %s', s.party_size, s.seats, s.labels)
        WHERE s.seats < s.party_size
        UNION ALL
        SELECT 'confirmed_on_tables_not_combinable', 'tables_not_combinable',
               CASE WHEN s.zones > 1 THEN format('%s are in %s zones', s.labels, s.zones)
                    ELSE format('%s are no longer adjacent', s.labels) END
        WHERE cardinality(s.tables) > 1 AND NOT s.manual
          AND (s.zones > 1 OR NOT assignment_v3_internal.tables_connected(s.restaurant_id, s.tables))
    ) p
$$;
REVOKE ALL ON FUNCTION assignment_v3_internal.seating_problems(uuid[]) FROM PUBLIC;

-- Re-seats the upcoming bookings of the restaurants a statement changed (their rows are the
-- statement's transition table changed_rows), reports those under way.
CREATE FUNCTION assignment_v3_internal.reseat_affected_bookings() RETURNS trigger
    AS 'MODULE_PATHNAME', 'av3_reseat_affected_bookings' LANGUAGE C SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp;
REVOKE ALL ON FUNCTION assignment_v3_internal.reseat_affected_bookings() FROM PUBLIC;
CREATE TRIGGER restaurant_tables_reseat
    AFTER UPDATE ON restaurant_tables
    REFERENCING NEW TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION assignment_v3_internal.reseat_affected_bookings();
CREATE TRIGGER table_adjacency_reseat_after_delete
    AFTER DELETE ON table_adjacency
    REFERENCING OLD TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION assignment_v3_internal.reseat_affected_bookings();
CREATE TRIGGER table_adjacency_reseat_after_update
    AFTER UPDATE ON table_adjacency
    REFERENCING OLD TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION assignment_v3_internal.reseat_affected_bookings();

-- A table with seatings is not deleted: its upcoming bookings would lose their seats without a
-- word, and past ones their history. Deactivating it re-seats the upcoming ones.
CREATE FUNCTION assignment_v3_internal.restaurant_tables_delete_guard() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    upcoming bigint;
    past     bigint;
BEGIN
    SELECT count(*) FILTER (WHERE upper(a.during) > now()), count(*) FILTER (WHERE upper(a.during) <= now())
      INTO upcoming, past
      FROM assignment_v3.table_assignments a WHERE a.table_id = OLD.id;
    IF upcoming > 0 THEN
        RAISE EXCEPTION 'table % (%) has % upcoming seating(s)', OLD.label, OLD.id, upcoming
            USING ERRCODE = 'object_in_use',
                  DETAIL = 'Deleting it would leave those bookings without a seat.',
                  HINT = format('Deactivate it first: UPDATE assignment_v3.restaurant_tables SET active = false '
                                'WHERE id = %L; its upcoming bookings are then re-seated.', OLD.id);
    END IF;
    IF past > 0 THEN
        RAISE EXCEPTION 'table % (%) is part of % past seating(s)', OLD.label, OLD.id, past
            USING ERRCODE = 'object_in_use',
                  DETAIL = 'Deleting it would drop the history of the bookings seated there.',
                  HINT = format('Keep it inactive instead: UPDATE assignment_v3.restaurant_tables SET active = false '
                                'WHERE id = %L.', OLD.id);
    END IF;
    RETURN OLD;
END;
$$;
REVOKE ALL ON FUNCTION assignment_v3_internal.restaurant_tables_delete_guard() FROM PUBLIC;
CREATE TRIGGER restaurant_tables_delete_guard
    BEFORE DELETE ON restaurant_tables
    FOR EACH ROW EXECUTE FUNCTION assignment_v3_internal.restaurant_tables_delete_guard();

CREATE OR REPLACE FUNCTION check_invariants()
RETURNS TABLE (invariant text, booking_id uuid, detail text)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    -- No table holds two bookings at once (the exclusion constraint makes this impossible).
    SELECT 'double_booked_table', a.booking_id,
           format('table %s also holds booking %s during %s', a.table_id, b.booking_id, a.during * b.during)
    FROM assignment_v3.table_assignments a
    JOIN assignment_v3.table_assignments b
      ON a.table_id = b.table_id AND a.booking_id < b.booking_id AND a.during && b.during
    UNION ALL
    -- A confirmed booking has tables seating its party.
    SELECT 'confirmed_without_enough_seats', bk.id,
           format('party of %s, %s seats assigned', bk.party_size, coalesce(sum(t.capacity), 0))
    FROM assignment_v3.bookings bk
    LEFT JOIN assignment_v3.table_assignments a ON a.booking_id = bk.id
    LEFT JOIN assignment_v3.restaurant_tables t ON t.id = a.table_id
    WHERE bk.assignment_state = 'confirmed'
    GROUP BY bk.id, bk.party_size
    HAVING coalesce(sum(t.capacity), 0) < bk.party_size
    UNION ALL
    -- A confirmed booking not yet over sits at active tables that can still be combined (a
    -- booking under way keeps its seats when its table changes, and is reported here).
    SELECT p.invariant, p.booking_id,
           p.detail || CASE WHEN p.under_way THEN ' (under way: it keeps its seats)' ELSE '' END
    FROM assignment_v3_internal.seating_problems(NULL) p
    WHERE p.invariant <> 'confirmed_without_enough_seats'  -- reported above, for every booking
    UNION ALL
    -- Only confirmed bookings hold tables.
    SELECT DISTINCT ON (bk.id) 'tables_held_by_unconfirmed_booking', bk.id,
           format('assignment_state is %s', bk.assignment_state)
    FROM assignment_v3.bookings bk
    JOIN assignment_v3.table_assignments a ON a.booking_id = bk.id
    WHERE bk.assignment_state <> 'confirmed'
    UNION ALL
    -- Intermediate states live only inside an invocation; committed, they mean a lost update.
    SELECT 'stuck_in_intermediate_state', bk.id, format('assignment_state is %s', bk.assignment_state)
    FROM assignment_v3.bookings bk
    WHERE bk.assignment_state IN ('capacity_verified', 'table_selected')
    UNION ALL
    -- The last event that decided a booking's state agrees with the state it is in.
    SELECT 'outcome_event_mismatch', last.booking_id,
           format('last deciding event %s (event %s) implies %s, booking is %s',
                  last.event_type, last.id, last.implied, bk.assignment_state)
    FROM (
        SELECT DISTINCT ON (e.booking_id) e.booking_id, e.id, e.event_type,
               CASE
                   WHEN e.event_type = 'coordinator.confirmed' THEN 'confirmed'
                   WHEN e.event_type = 'coordinator.retry' THEN 'retry_scheduled'
                   WHEN e.event_type = 'coordinator.manual_review' THEN 'manual_review'
                   WHEN e.event_type = 'coordinator.error' THEN 'runnable'
                   WHEN e.event_type = 'auto_assign.summary' THEN
                       CASE e.context->>'outcome'
                           WHEN 'confirmed' THEN 'confirmed'
                           WHEN 'manual_review' THEN 'manual_review'
                           ELSE 'runnable'
                       END
                   ELSE e.context->>'to'
               END AS implied
        FROM assignment_v3.observability_events e
        WHERE e.booking_id IS NOT NULL
          AND (e.event_type IN ('coordinator.confirmed', 'coordinator.retry', 'coordinator.manual_review',
                                'coordinator.error')
               OR (e.event_type = 'auto_assign.summary' AND e.context->>'outcome' <> 'noop')
               OR (e.event_type = 'booking.assignment_state_transition'
                   AND e.context->>'cause' IN ('modification', 'cancellation', 'requeue', 'manual_assignment',
                                                    'inventory_change')))
        ORDER BY e.booking_id, e.created_at DESC, e.id DESC
    ) last
    JOIN assignment_v3.bookings bk ON bk.id = last.booking_id
    WHERE NOT (last.implied = bk.assignment_state
               OR (last.implied = 'runnable' AND bk.assignment_state IN ('created', 'retry_scheduled')))
$$;

--------------------------------------------------------------------------------------------
-- Settled seatings: the double-booking index holds the seatings still to come
--------------------------------------------------------------------------------------------
-- Every seating 1.0 made comes in unsettled; worker 0 settles those that have ended over its
-- next passes (settle_seatings()). The constraint's index is built again, over all of them.
-- The column is filled by an UPDATE (one pass over the table) rather than by ADD COLUMN's
-- default, which would leave a stored "missing value" that a fresh install does not have.
ALTER TABLE table_assignments ADD COLUMN settled boolean;
UPDATE table_assignments SET settled = false;
ALTER TABLE table_assignments ALTER COLUMN settled SET DEFAULT false, ALTER COLUMN settled SET NOT NULL;
ALTER TABLE table_assignments DROP CONSTRAINT table_assignments_no_double_booking;
ALTER TABLE table_assignments ADD CONSTRAINT table_assignments_no_double_booking
    EXCLUDE USING gist (table_id WITH =, during WITH &&) WHERE (NOT settled);
-- Worker 0 settles the seatings that ended more than assignment_v3.settle_after ago
-- (settle_seatings()), so that the exclusion constraint's GiST index, searched for every new
-- seating, does not grow with every seating ever made. A seating that starts before the
-- horizon is checked against the settled seatings of its table by the triggers below (and by
-- the workers' own writes): double booking stays impossible in the past too.

-- Every settled seating ends by the horizon; no row: nothing was ever settled. Not dumped: a
-- restore's rows come in unsettled and settle again.
CREATE TABLE assignment_v3_internal.settled_horizon (
    singleton boolean PRIMARY KEY DEFAULT true
        CONSTRAINT settled_horizon_has_one_row CHECK (singleton),
    horizon   timestamptz NOT NULL
);
COMMENT ON TABLE assignment_v3_internal.settled_horizon IS
    'The settle horizon: every settled seating ends by it. Raised by settle_seatings().';
REVOKE ALL ON TABLE assignment_v3_internal.settled_horizon FROM PUBLIC;

CREATE FUNCTION assignment_v3_internal.settled_seatings_guard() RETURNS trigger
    AS 'MODULE_PATHNAME', 'av3_settled_seatings_guard' LANGUAGE C
    SET search_path = pg_catalog, pg_temp;
REVOKE ALL ON FUNCTION assignment_v3_internal.settled_seatings_guard() FROM PUBLIC;
COMMENT ON FUNCTION assignment_v3_internal.settled_seatings_guard() IS
    'Trigger: rows come in unsettled; a settled seating keeps its table and time; only settle_seatings() settles.';
CREATE TRIGGER table_assignments_settled_guard
    BEFORE INSERT OR UPDATE ON table_assignments
    FOR EACH ROW EXECUTE FUNCTION assignment_v3_internal.settled_seatings_guard();

CREATE FUNCTION assignment_v3_internal.seating_checked_against_settled() RETURNS trigger
    AS 'MODULE_PATHNAME', 'av3_seating_checked_against_settled' LANGUAGE C SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp;
REVOKE ALL ON FUNCTION assignment_v3_internal.seating_checked_against_settled() FROM PUBLIC;
COMMENT ON FUNCTION assignment_v3_internal.seating_checked_against_settled() IS
    'Trigger: a seating that starts before the settle horizon must not overlap a settled seating of its table.';
CREATE TRIGGER table_assignments_checked_against_settled
    AFTER INSERT OR UPDATE OF table_id, during ON table_assignments
    FOR EACH ROW WHEN (NOT NEW.settled)
    EXECUTE FUNCTION assignment_v3_internal.seating_checked_against_settled();

CREATE FUNCTION settle_seatings(batch integer DEFAULT 10000) RETURNS bigint
AS 'MODULE_PATHNAME', 'av3_settle_seatings' LANGUAGE C VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION settle_seatings(integer) IS
    'Settles up to batch seatings that ended more than assignment_v3.settle_after ago (they leave '
    'the double-booking index); returns the seatings settled. Worker 0 runs it.'
    ' Example: SELECT assignment_v3.settle_seatings();';
REVOKE ALL ON FUNCTION settle_seatings(integer) FROM PUBLIC;

--------------------------------------------------------------------------------------------
-- Backups: pg_dump keeps the business data (the extension's objects themselves are not dumped)
--------------------------------------------------------------------------------------------
SELECT pg_catalog.pg_extension_config_dump('assignment_v3.restaurants', '');
SELECT pg_catalog.pg_extension_config_dump('assignment_v3.restaurant_tables', '');
SELECT pg_catalog.pg_extension_config_dump('assignment_v3.table_adjacency', '');
SELECT pg_catalog.pg_extension_config_dump('assignment_v3.bookings', '');
SELECT pg_catalog.pg_extension_config_dump('assignment_v3.table_assignments', '');
SELECT pg_catalog.pg_extension_config_dump('assignment_v3.observability_events', '');
SELECT pg_catalog.pg_extension_config_dump('assignment_v3.observability_events_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('assignment_v3.shadow_plans', '');
SELECT pg_catalog.pg_extension_config_dump('assignment_v3.restaurant_rollout', '');

--------------------------------------------------------------------------------------------
-- Privileges (explicit per object from 1.1 on)
--------------------------------------------------------------------------------------------
GRANT EXECUTE ON FUNCTION check_invariants() TO pg_monitor;

-- The workers' least-privilege role (assignment_v3.role) gets what 1.1 adds for it (the kill
-- switch); another role made with grant_worker_privileges() needs it called again.
DO $$
DECLARE
    worker_role text := pg_catalog.current_setting('assignment_v3.role', true);
BEGIN
    IF worker_role <> '' AND EXISTS (SELECT 1 FROM pg_catalog.pg_roles
                                     WHERE rolname = worker_role AND NOT rolsuper) THEN
        PERFORM assignment_v3.grant_worker_privileges(worker_role::name);
    END IF;
END
$$;

--------------------------------------------------------------------------------------------
-- Comments: the whole 1.1 set (COMMENT replaces what 1.0 had)
--------------------------------------------------------------------------------------------
COMMENT ON SCHEMA assignment_v3 IS
    'assignment_v3: restaurant table assignment. Tables, statistics, operator functions; see docs/reference.md.';
COMMENT ON SCHEMA assignment_v3_internal IS
    'Internals of assignment_v3 (trigger functions, rollups, helpers): not an interface, may change in any release.';
COMMENT ON TABLE restaurants IS
    'Restaurants served by assignment_v3. turn_buffer is kept free after each seating; '
    'max_covers_per_slot caps the guests seated at any instant (NULL: no cap).';
COMMENT ON COLUMN restaurants.id IS 'Restaurant id (generated when omitted).';
COMMENT ON COLUMN restaurants.name IS 'Display name; not blank.';
COMMENT ON COLUMN restaurants.timezone IS 'IANA time zone of the restaurant (informational; times are timestamptz).';
COMMENT ON COLUMN restaurants.turn_buffer IS 'Time a table stays free after a seating ends, 0 to 4 hours.';
COMMENT ON COLUMN restaurants.max_covers_per_slot IS 'Most guests seated at any instant; NULL: no cap.';
COMMENT ON COLUMN restaurants.created_at IS 'When the restaurant was added.';
COMMENT ON TABLE restaurant_tables IS
    'Tables of a restaurant. Inactive tables are never assigned; zones bound combinations. '
    'Deactivating a table, shrinking it, moving it to another zone or removing an adjacency '
    're-seats the upcoming bookings it affects.';
COMMENT ON COLUMN restaurant_tables.id IS 'Table id (generated when omitted).';
COMMENT ON COLUMN restaurant_tables.restaurant_id IS 'The restaurant the table belongs to.';
COMMENT ON COLUMN restaurant_tables.label IS 'Label, unique within the restaurant (the legacy planner seats in label order).';
COMMENT ON COLUMN restaurant_tables.capacity IS 'Seats, 1 to 100.';
COMMENT ON COLUMN restaurant_tables.min_party IS 'Smallest party the table is given to, 1 to capacity.';
COMMENT ON COLUMN restaurant_tables.zone IS 'Zone (room, terrace, ...): combinations stay within one zone.';
COMMENT ON COLUMN restaurant_tables.active IS 'false: never assigned (deactivate a table instead of deleting it).';
COMMENT ON TABLE table_adjacency IS
    'Undirected edges between tables that can be pushed together (same restaurant, same zone). '
    'Insert in either order: a trigger stores the pair once, smaller id first.';
COMMENT ON COLUMN table_adjacency.restaurant_id IS 'The restaurant of both tables.';
COMMENT ON COLUMN table_adjacency.table_a IS 'One table of the pair (the smaller id once stored).';
COMMENT ON COLUMN table_adjacency.table_b IS 'The other table of the pair.';
COMMENT ON TABLE bookings IS
    'Bookings to be seated. Applications insert, modify (party_size, start_at, end_at) and cancel '
    '(status = ''cancelled'' or cancel_booking()); assignment_v3 owns assignment_state, '
    'assignment_version, attempts and last_reason.';
COMMENT ON COLUMN bookings.id IS 'Booking id (generated when omitted).';
COMMENT ON COLUMN bookings.restaurant_id IS 'The restaurant; cannot change (cancel and book again instead).';
COMMENT ON COLUMN bookings.party_size IS 'Guests, 1 to 1000. Changing it sends the booking back through the pipeline.';
COMMENT ON COLUMN bookings.start_at IS 'Arrival. Changing it sends the booking back through the pipeline.';
COMMENT ON COLUMN bookings.end_at IS 'Departure, after start_at and at most 24 hours later.';
COMMENT ON COLUMN bookings.status IS 'pending, confirmed or cancelled; applications set only ''cancelled''.';
COMMENT ON COLUMN bookings.assignment_state IS
    'State machine (owned by assignment_v3): created, retry_scheduled, confirmed, manual_review, cancelled '
    '(capacity_verified and table_selected exist only inside one invocation).';
COMMENT ON COLUMN bookings.assignment_version IS 'Optimistic lock: bumped by every state transition.';
COMMENT ON COLUMN bookings.attempts IS 'Invocations that tried to seat this version of the booking.';
COMMENT ON COLUMN bookings.next_attempt_at IS 'When the booking is next due for the pipeline.';
COMMENT ON COLUMN bookings.last_reason IS 'Why the booking is in its state (context.reason of its last decision).';
COMMENT ON COLUMN bookings.zone_preference IS 'Preferred zone, honoured when it costs nothing.';
COMMENT ON COLUMN bookings.created_at IS 'When the booking was inserted.';
COMMENT ON COLUMN bookings.updated_at IS 'When the booking last changed.';
COMMENT ON COLUMN bookings.queued_at IS 'When this version of the booking started waiting: latency is measured from here.';
COMMENT ON TABLE table_assignments IS
    'Which tables seat which booking, for [start_at, end_at + turn_buffer). The exclusion '
    'constraint makes double booking impossible whatever the concurrency; its index holds the '
    'seatings not yet settled, and new seatings before the settle horizon are also checked '
    'against the settled ones (docs/architecture.md, "Settled seatings").';
COMMENT ON COLUMN table_assignments.booking_id IS 'The confirmed booking seated.';
COMMENT ON COLUMN table_assignments.table_id IS 'A table it is seated at (a combination has one row per table).';
COMMENT ON COLUMN table_assignments.restaurant_id IS 'The restaurant of booking and table.';
COMMENT ON COLUMN table_assignments.during IS 'The time the table is taken: [start_at, end_at + turn_buffer).';
COMMENT ON COLUMN table_assignments.pipeline IS 'Who seated it: v3, legacy or manual (assign_manually()).';
COMMENT ON COLUMN table_assignments.created_at IS 'When the seat was assigned.';
COMMENT ON COLUMN table_assignments.settled IS
    'Set by the extension once the seating ended more than assignment_v3.settle_after ago: it '
    'leaves the exclusion constraint''s index and keeps its table and time. Rows always come in unsettled.';
COMMENT ON TABLE observability_events IS
    'Telemetry written by the coordinator (assignment.coordinator), the state machine '
    '(assignment.state_machine) and the legacy planner (auto_assign). Kept for '
    'assignment_v3.event_retention. docs/architecture.md lists every event and its keys.';
COMMENT ON COLUMN observability_events.id IS 'Event id; increases within a backend (order by created_at, id).';
COMMENT ON COLUMN observability_events.created_at IS 'When the event happened.';
COMMENT ON COLUMN observability_events.source IS 'assignment.coordinator, assignment.state_machine or auto_assign.';
COMMENT ON COLUMN observability_events.event_type IS 'coordinator.start, coordinator.confirmed, booking.assignment_state_transition, ...';
COMMENT ON COLUMN observability_events.severity IS 'debug, info, warning or error.';
COMMENT ON COLUMN observability_events.booking_id IS 'The booking the event is about (NULL for events about the pipeline).';
COMMENT ON COLUMN observability_events.restaurant_id IS 'The restaurant the event is about.';
COMMENT ON COLUMN observability_events.context IS
    'Event details; a non-success outcome carries "reason". Oversized contexts are truncated and flagged "truncated": true.';
COMMENT ON TABLE shadow_plans IS
    'What V3 would have done, computed in shadow mode for the booking version the legacy '
    'planner handled; compared by shadow_agreement().';
COMMENT ON COLUMN shadow_plans.booking_id IS 'The booking planned.';
COMMENT ON COLUMN shadow_plans.assignment_version IS 'The version of the booking the plan is for.';
COMMENT ON COLUMN shadow_plans.restaurant_id IS 'The booking''s restaurant.';
COMMENT ON COLUMN shadow_plans.outcome IS 'What V3 would have decided: confirmed, retry or manual_review.';
COMMENT ON COLUMN shadow_plans.reason IS 'Why, for a retry or manual review.';
COMMENT ON COLUMN shadow_plans.table_ids IS 'The tables V3 would have assigned.';
COMMENT ON COLUMN shadow_plans.computed_at IS 'When the plan was made.';
COMMENT ON COLUMN shadow_plans.legacy_outcome IS 'What the legacy planner then did: confirmed, retry, manual_review, noop or error.';
COMMENT ON COLUMN shadow_plans.legacy_table_ids IS 'The tables the legacy planner assigned.';
COMMENT ON TABLE restaurant_rollout IS
    'Per-restaurant override of the rollout percentage: v3, legacy or shadow. '
    'assignment_v3.enabled = off still disables V3 everywhere.';
COMMENT ON COLUMN restaurant_rollout.restaurant_id IS 'The restaurant overridden.';
COMMENT ON COLUMN restaurant_rollout.mode IS 'v3, legacy or shadow, whatever its rollout bucket.';
COMMENT ON COLUMN restaurant_rollout.updated_at IS 'When the override was set.';
COMMENT ON FUNCTION process_pending(integer) IS
    'Claims up to max_bookings due bookings and processes them in the calling transaction, '
    'exactly as a worker does; returns one row per invocation.'
    ' Example: SELECT * FROM assignment_v3.process_pending(100);';
COMMENT ON FUNCTION assign_booking(uuid, text) IS
    'Processes one booking now, whatever its next_attempt_at. pipeline: NULL (the restaurant''s '
    'rollout mode), ''v3'', ''legacy'' or ''shadow''.'
    ' Example: SELECT * FROM assignment_v3.assign_booking(:''booking_id'');';
COMMENT ON FUNCTION cancel_booking(uuid) IS
    'Cancels a booking: releases its tables and makes the restaurant''s waiting retries due now. '
    'Returns false when it was already cancelled.'
    ' Example: SELECT assignment_v3.cancel_booking(:''booking_id'');';
COMMENT ON FUNCTION requeue(uuid) IS
    'Takes a booking out of manual_review: back to created, attempts reset, due now.'
    ' Example: SELECT assignment_v3.requeue(:''booking_id'');';
COMMENT ON FUNCTION assign_manually(uuid, uuid[]) IS
    'Seats a booking at the given tables (pipeline manual), replacing any tables it had. '
    'Refuses tables of another restaurant, inactive or too few seats, and overlaps.'
    ' Example: SELECT assignment_v3.assign_manually(:''booking_id'', ARRAY[:''table_a'', :''table_b'']::uuid[]);';
COMMENT ON FUNCTION purge_old_events(integer) IS
    'Deletes up to batch events older than assignment_v3.event_retention (and, once none is left, '
    'the rollups and shadow plans older than it); returns the events deleted. Worker 0 runs it.'
    ' Example: SELECT assignment_v3.purge_old_events();';
COMMENT ON FUNCTION grant_worker_privileges(name) IS
    'Grants a role exactly what the workers need (see docs/operations.md).'
    ' Example: SELECT assignment_v3.grant_worker_privileges(''assignment_v3_worker'');';
COMMENT ON FUNCTION reset_circuit_breaker() IS
    'Closes the circuit breaker at once (after the cause of the errors is fixed).'
    ' Example: SELECT assignment_v3.reset_circuit_breaker();';
COMMENT ON FUNCTION restaurant_mode(uuid) IS
    'The pipeline serving a restaurant under the current settings: v3, shadow, legacy or off.'
    ' Example: SELECT name, assignment_v3.restaurant_mode(id) FROM assignment_v3.restaurants;';
COMMENT ON FUNCTION rollout_bucket(uuid) IS
    'The restaurant''s stable bucket 0..99: it runs V3 when its bucket is below rollout_percent.'
    ' Example: SELECT name, assignment_v3.rollout_bucket(id) FROM assignment_v3.restaurants ORDER BY 2;';
COMMENT ON FUNCTION restaurant_lock_key(uuid) IS
    'The advisory lock keys that serialise work on a restaurant: '
    'pg_advisory_xact_lock(classid, objid) holds off the coordinator.'
    ' Example: SELECT pg_advisory_xact_lock(classid, objid) FROM assignment_v3.restaurant_lock_key(:''restaurant_id'');';
COMMENT ON VIEW workers IS
    'One row per coordinator worker: its process, state, counters since it started, and last error.';
COMMENT ON COLUMN workers.slot IS 'Worker number, 0 to max_parallel - 1 (worker 0 also runs retention).';
COMMENT ON COLUMN workers.pid IS 'Its process (pg_stat_activity.pid); NULL while it starts.';
COMMENT ON COLUMN workers.state IS 'starting, idle, processing, backoff (after an error) or paused.';
COMMENT ON COLUMN workers.started_at IS 'When the process started.';
COMMENT ON COLUMN workers.config_loaded_at IS 'When it last read the configuration (start or reload).';
COMMENT ON COLUMN workers.last_batch_at IS 'When it last finished a batch.';
COMMENT ON COLUMN workers.batches IS 'Batches since it started.';
COMMENT ON COLUMN workers.invocations IS 'Invocations (V3 and legacy) since it started.';
COMMENT ON COLUMN workers.confirmed IS 'Invocations that seated the booking.';
COMMENT ON COLUMN workers.retried IS 'Invocations that scheduled a retry.';
COMMENT ON COLUMN workers.manual_review IS 'Invocations that sent the booking to manual review.';
COMMENT ON COLUMN workers.noop IS 'Invocations that changed nothing (already decided, lock held elsewhere, ...).';
COMMENT ON COLUMN workers.errors IS 'Invocations and batches that failed unexpectedly.';
COMMENT ON COLUMN workers.legacy IS 'Invocations served by the legacy planner.';
COMMENT ON COLUMN workers.shadow_plans IS 'Shadow plans written.';
COMMENT ON COLUMN workers.current_booking IS 'The booking it is deciding now.';
COMMENT ON COLUMN workers.last_error IS 'Its last error message.';
COMMENT ON COLUMN workers.last_error_at IS 'When that error happened.';
COMMENT ON FUNCTION circuit_breaker() IS
    'The shared circuit breaker: closed, open or half_open, failures in the current window, trips since the server started.'
    ' Example: SELECT * FROM assignment_v3.circuit_breaker();';
COMMENT ON FUNCTION launcher() IS
    'The launcher: its state (running, waiting for database, waiting for extension, not running, ...), process and database.'
    ' Example: SELECT * FROM assignment_v3.launcher();';
COMMENT ON FUNCTION status() IS
    'Effective mode, rollout flags, workers, queue depth, oldest due booking, circuit state, '
    'whether the workers serve (service: serving, paused, restoring, version mismatch, standby, ...) '
    'and the kill switch (auto_rollback: off, armed or tripped, with when and why).'
    ' Example: SELECT * FROM assignment_v3.status();';
COMMENT ON FUNCTION check_invariants() IS
    'Rows describe violations: double-booked tables, confirmed bookings without enough seats, '
    'on inactive tables or on tables that can no longer be combined, tables held by unconfirmed '
    'bookings, bookings stuck in an intermediate state, and outcome events that do not match a '
    'booking''s state. No rows: healthy.'
    ' Example: SELECT * FROM assignment_v3.check_invariants();';
COMMENT ON TABLE assignment_v3_internal.event_rollup IS
    'Per-minute counts of observability_events, maintained by a trigger; read by the statistics functions.';
COMMENT ON TABLE assignment_v3_internal.latency_rollup IS
    'Per-minute histogram of confirmation latency per pipeline (2% buckets); read by latency().';
COMMENT ON FUNCTION rebuild_event_rollups(timestamptz, timestamptz) IS
    'Recounts the statistics'' rollups of a time range from observability_events; returns the events counted.'
    ' Example: SELECT assignment_v3.rebuild_event_rollups(now() - interval ''2 days'', now());';
COMMENT ON FUNCTION outcome_summary(interval, timestamptz) IS
    'Success and failure per event type over a window (the runbook''s first query): success means no context.reason.'
    ' Example: SELECT * FROM assignment_v3.outcome_summary(''6 hours'');';
COMMENT ON FUNCTION retry_reasons(interval, timestamptz) IS
    'Why V3 retried bookings, how often, and how long the retries waited.'
    ' Example: SELECT * FROM assignment_v3.retry_reasons(''24 hours'');';
COMMENT ON FUNCTION manual_review_by_restaurant(interval, timestamptz) IS
    'Manual review rate of the V3 coordinator per restaurant, highest first.'
    ' Example: SELECT * FROM assignment_v3.manual_review_by_restaurant(''24 hours'') LIMIT 10;';
COMMENT ON FUNCTION confirmation_rate(interval, interval, timestamptz) IS
    'Share of V3 decisions that seated the party, per time bucket.'
    ' Example: SELECT * FROM assignment_v3.confirmation_rate(''24 hours'', ''1 hour'');';
COMMENT ON FUNCTION transition_volume(interval, timestamptz) IS
    'State transitions per kind against V3 invocations: a rising ratio means bookings churn.'
    ' Example: SELECT * FROM assignment_v3.transition_volume(''1 hour'');';
COMMENT ON FUNCTION pipeline_mix(interval, timestamptz) IS
    'Who served the bookings: the V3 coordinator, the legacy planner, and shadow plans.'
    ' Example: SELECT * FROM assignment_v3.pipeline_mix(''1 hour'');';
COMMENT ON FUNCTION error_rate(interval, interval, timestamptz) IS
    'Unexpected errors of the V3 coordinator per time bucket, against its decisions.'
    ' Example: SELECT * FROM assignment_v3.error_rate(''1 hour'', ''5 minutes'');';
COMMENT ON FUNCTION manual_review_reasons(interval, timestamptz) IS
    'Why bookings end in manual review, per pipeline.'
    ' Example: SELECT * FROM assignment_v3.manual_review_reasons(''24 hours'');';
COMMENT ON FUNCTION latency(interval, timestamptz) IS
    'Booking-to-confirmation latency per pipeline: p50, p95, p99 (2% resolution) and the exact maximum.'
    ' Example: SELECT * FROM assignment_v3.latency(''1 hour'');';
COMMENT ON FUNCTION shadow_agreement(interval, timestamptz) IS
    'How V3''s shadow plans compare with what the legacy planner did for the same booking version.'
    ' Example: SELECT * FROM assignment_v3.shadow_agreement(''24 hours'');';
COMMENT ON FUNCTION rollout_evidence(interval, timestamptz) IS
    'What the gate counted over a window, by category: decided, pipeline (failures), capacity, '
    'back_pressure, volume, and the shadow baseline when shadow plans exist.'
    ' Example: SELECT * FROM assignment_v3.rollout_evidence(''48 hours'');';
COMMENT ON FUNCTION rollout_gate(interval, numeric, numeric, numeric, integer, integer, timestamptz) IS
    'The runbook''s exit criteria over a window, judged per booking V3 decided: one row per check '
    '(observed, threshold, passed, on_failure). rollout_evidence() shows what was counted.'
    ' Example: SELECT * FROM assignment_v3.rollout_gate(''48 hours'');';
COMMENT ON FUNCTION rollout_verdict(interval, numeric, numeric, numeric, integer, integer, timestamptz) IS
    'proceed, hold or rollback: the verdict of rollout_gate() over the same window and thresholds.'
    ' Example: SELECT assignment_v3.rollout_verdict();';
COMMENT ON TABLE assignment_v3_internal.kill_switch IS
    'The automatic kill switch: tripped (tripped_at, reason, evidence) until cleared by clear_auto_rollback().';
COMMENT ON FUNCTION clear_auto_rollback() IS
    'Puts V3 back in service after the kill switch tripped (the gate then judges only what happens '
    'from now on); returns false when it was not tripped.'
    ' Example: SELECT assignment_v3.clear_auto_rollback();';

--------------------------------------------------------------------------------------------
-- Time-ordered booking ids, for applications that choose them (bookings.id keeps its default)
--------------------------------------------------------------------------------------------
CREATE FUNCTION uuid_v7() RETURNS uuid
    AS 'MODULE_PATHNAME', 'av3_uuid_v7' LANGUAGE C VOLATILE PARALLEL SAFE;
CREATE FUNCTION uuid_v7(at timestamptz) RETURNS uuid
    AS 'MODULE_PATHNAME', 'av3_uuid_v7' LANGUAGE C VOLATILE STRICT PARALLEL SAFE;
GRANT EXECUTE ON FUNCTION uuid_v7() TO PUBLIC;
GRANT EXECUTE ON FUNCTION uuid_v7(timestamptz) TO PUBLIC;
COMMENT ON FUNCTION uuid_v7() IS
    'A time-ordered uuid (version 7: the current time in milliseconds, its fraction, random bits), '
    'for booking ids that keep a large history out of the WAL. Example: SELECT assignment_v3.uuid_v7();';
COMMENT ON FUNCTION uuid_v7(timestamptz) IS
    'A time-ordered uuid (version 7) for the given time, for ids of bookings made in the past '
    '(a migration). Example: SELECT assignment_v3.uuid_v7(now() - interval ''1 day'');';

SELECT assignment_v3_internal.attach_workers();
