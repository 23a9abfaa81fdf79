--------------------------------------------------------------------------------------------
-- Event rollups: what the statistics read
--------------------------------------------------------------------------------------------
-- Every insert into observability_events also counts its events here, per minute and per hour
-- (a statement trigger over the inserted rows), so that a statistics function over a day reads
-- the hours inside its window and the minutes at its two ends: a few thousand rollup rows
-- instead of hundreds of thousands of events. Windows are therefore counted in whole minutes.
-- `writer` keeps concurrent writers (each worker) on rows of their own, so that counting never
-- makes one transaction wait for another.

CREATE TABLE assignment_v3_internal.event_rollup (
    width          smallint NOT NULL      -- minutes the bucket covers: 1 or 60 (retention
        -- names each width: a new one goes into src/pg/retention.cpp too)
        CONSTRAINT event_rollup_width_is_minute_or_hour CHECK (width IN (1, 60)),
    bucket         timestamptz NOT NULL,  -- start of the minute or hour
    source         text NOT NULL,
    event_type     text NOT NULL,
    reason         text,                  -- context->>'reason'
    detail         text,                  -- transitions: 'from>to'; auto_assign.summary: its outcome;
                                          -- coordinator.manual_review: legacy_would_seat
    restaurant_id  uuid,                  -- for the per-restaurant questions only (start, confirmed,
                                          -- manual review)
    writer         integer NOT NULL,
    events         bigint NOT NULL,
    delay_ms_sum   double precision NOT NULL DEFAULT 0,
    delay_ms_max   double precision,
    latency_ms_max double precision,
    -- Led by event_type: most statistics read a few event types over a range of buckets.
    CONSTRAINT event_rollup_key UNIQUE NULLS NOT DISTINCT
        (width, event_type, bucket, source, reason, detail, restaurant_id, writer)
);
CREATE INDEX event_rollup_bucket_idx ON assignment_v3_internal.event_rollup (width, bucket);
COMMENT ON TABLE assignment_v3_internal.event_rollup IS
    'Per-minute counts of observability_events, maintained by a trigger; read by the statistics functions.';
REVOKE ALL ON TABLE assignment_v3_internal.event_rollup FROM PUBLIC;

-- Confirmation latency (booking queued to confirmed) per minute and pipeline, as a histogram
-- with buckets 2% wide: percentiles are reported at the upper edge of their bucket.
CREATE TABLE assignment_v3_internal.latency_rollup (
    width          smallint NOT NULL      -- as in event_rollup (and retention)
        CONSTRAINT latency_rollup_width_is_minute_or_hour CHECK (width IN (1, 60)),
    bucket         timestamptz NOT NULL,
    pipeline       text NOT NULL,
    latency_bucket integer NOT NULL,      -- ceil(ln(latency in microseconds) / ln(1.02))
    writer         integer NOT NULL,
    confirmations  bigint NOT NULL,
    CONSTRAINT latency_rollup_key UNIQUE (width, bucket, pipeline, latency_bucket, writer)
);
COMMENT ON TABLE assignment_v3_internal.latency_rollup IS
    'Per-minute histogram of confirmation latency per pipeline (2% buckets); read by latency().';
REVOKE ALL ON TABLE assignment_v3_internal.latency_rollup FROM PUBLIC;

CREATE FUNCTION assignment_v3_internal.rollup_writer() RETURNS integer
    AS 'MODULE_PATHNAME', 'av3_rollup_writer' LANGUAGE C STABLE PARALLEL SAFE;
REVOKE ALL ON FUNCTION assignment_v3_internal.rollup_writer() FROM PUBLIC;

CREATE FUNCTION assignment_v3_internal.latency_bucket(latency_ms double precision) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT greatest(0, ceil(ln(greatest(latency_ms * 1000, 1)) / ln(1.02)))::int $$;
REVOKE ALL ON FUNCTION assignment_v3_internal.latency_bucket(double precision) FROM PUBLIC;

CREATE FUNCTION assignment_v3_internal.latency_bucket_upper_ms(latency_bucket integer) RETURNS double precision
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT round((power(1.02, latency_bucket) / 1000)::numeric, 3)::double precision $$;
REVOKE ALL ON FUNCTION assignment_v3_internal.latency_bucket_upper_ms(integer) FROM PUBLIC;

-- The statement that counts a set of events into one of the rollups; `events` is a relation
-- or subquery with the columns of observability_events. One text for both callers below: the
-- trigger (the rows a statement inserted) and rebuild_event_rollups() (a range of the table).
CREATE FUNCTION assignment_v3_internal.rollup_statement(events text, rollup text) RETURNS text
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
REVOKE ALL ON FUNCTION assignment_v3_internal.rollup_statement(text, text) FROM PUBLIC;

-- SECURITY DEFINER: whoever may insert events need not have privileges on the rollups.
CREATE FUNCTION assignment_v3_internal.roll_up_events() RETURNS trigger
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
REVOKE ALL ON FUNCTION assignment_v3_internal.roll_up_events() FROM PUBLIC;

-- Recounts the rollups of [from_time, to_time) from the events table: after events were loaded
-- with the trigger disabled, or deleted by hand. Whole hours: the range is widened to them.
CREATE FUNCTION rebuild_event_rollups(from_time timestamptz, to_time timestamptz) RETURNS bigint
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
COMMENT ON FUNCTION rebuild_event_rollups(timestamptz, timestamptz) IS
    'Recounts the statistics'' rollups of a time range from observability_events; returns the events counted.'
    ' Example: SELECT assignment_v3.rebuild_event_rollups(now() - interval ''2 days'', now());';
REVOKE ALL ON FUNCTION rebuild_event_rollups(timestamptz, timestamptz) FROM PUBLIC;

CREATE TRIGGER observability_events_roll_up
    AFTER INSERT ON observability_events
    REFERENCING NEW TABLE AS new_events
    FOR EACH STATEMENT EXECUTE FUNCTION assignment_v3_internal.roll_up_events();

