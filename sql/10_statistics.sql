-- The rollout statistics, on events seeded at fixed timestamps (as_of pins "now"): every
-- function's numbers are checked against what was seeded.
SET search_path = public;

-- A clean slate: statistics read every event of the window.
TRUNCATE assignment_v3.observability_events;
DELETE FROM assignment_v3_internal.event_rollup;
DELETE FROM assignment_v3_internal.latency_rollup;

SELECT t_restaurant(60, 'Stats North') IS NOT NULL, t_restaurant(61, 'Stats South') IS NOT NULL;

-- Seed: one call per V3 invocation, at minute m before 2030-01-02 12:00 UTC.
CREATE FUNCTION t_seed_v3(m integer, restaurant integer, outcome text, reason text DEFAULT NULL,
                          delay_ms integer DEFAULT NULL, latency_ms double precision DEFAULT NULL,
                          legacy_would_seat boolean DEFAULT NULL)
RETURNS void LANGUAGE sql AS $$
    INSERT INTO assignment_v3.observability_events (created_at, source, event_type, booking_id, restaurant_id, context)
    SELECT timestamptz '2030-01-02 12:00+00' - m * interval '1 minute', 'assignment.coordinator', e.type,
           gen_random_uuid(), t_id('restaurant', restaurant), e.context
    FROM (VALUES ('coordinator.start', '{"mode": "full"}'::jsonb),
                 ('coordinator.' || outcome,
                  jsonb_strip_nulls(jsonb_build_object('reason', reason, 'delay_ms', delay_ms, 'latency_ms', latency_ms,
                                                       'legacy_would_seat', legacy_would_seat))))
         AS e(type, context)
$$;

-- Two hours ago, 100 invocations at North: 90 confirmed (latency 10..99 ms), 6 retries
-- (4 no_assignment at 1000 ms, 2 rate_limited at 200 ms), 2 manual reviews, 2 errors.
SELECT count(*) FROM (
    SELECT t_seed_v3(120 - g % 5, 60, 'confirmed', latency_ms => 10 + g) FROM generate_series(0, 89) g
    UNION ALL SELECT t_seed_v3(119, 60, 'retry', 'no_assignment', delay_ms => 1000) FROM generate_series(1, 4)
    UNION ALL SELECT t_seed_v3(119, 60, 'retry', 'rate_limited', delay_ms => 200) FROM generate_series(1, 2)
    UNION ALL SELECT t_seed_v3(118, 60, 'manual_review', 'party_too_large') FROM generate_series(1, 2)
    UNION ALL SELECT t_seed_v3(117, 60, 'error', 'unexpected_error') FROM generate_series(1, 2)) s;
-- Ten minutes ago, South: 8 confirmed (latency 500 ms), 2 manual reviews (no_tables).
SELECT count(*) FROM (
    SELECT t_seed_v3(10, 61, 'confirmed', latency_ms => 500) FROM generate_series(1, 8)
    UNION ALL SELECT t_seed_v3(10, 61, 'manual_review', 'no_tables') FROM generate_series(1, 2)) s;
-- Legacy at South, 30 minutes ago: 5 confirmed (latency 2000 ms), 1 manual review.
INSERT INTO assignment_v3.observability_events (created_at, source, event_type, restaurant_id, context)
SELECT timestamptz '2030-01-02 11:30+00', 'auto_assign', 'auto_assign.summary', t_id('restaurant', 61),
       CASE WHEN g <= 5 THEN '{"outcome": "confirmed", "latency_ms": 2000}'::jsonb
            ELSE '{"outcome": "manual_review", "reason": "no_table_available"}'::jsonb END
FROM generate_series(1, 6) g;
-- Transitions 20 minutes ago: 8 created>capacity_verified, 2 created>manual_review.
INSERT INTO assignment_v3.observability_events (created_at, source, event_type, context)
SELECT timestamptz '2030-01-02 11:40+00', 'assignment.state_machine', 'booking.assignment_state_transition',
       jsonb_build_object('from', 'created', 'to', CASE WHEN g <= 8 THEN 'capacity_verified' ELSE 'manual_review' END)
FROM generate_series(1, 10) g;
-- A week ago: outside every default window.
SELECT t_seed_v3(7 * 24 * 60, 60, 'error', 'unexpected_error');

-- The rollup holds what was seeded, per minute.
SELECT sum(events) AS rolled_up_events FROM assignment_v3_internal.event_rollup WHERE width = 1;
SELECT count(*) AS events FROM assignment_v3.observability_events;

\set now '''2030-01-02 12:00+00'''
SELECT * FROM assignment_v3.outcome_summary('6 hours', as_of => :now);
SELECT * FROM assignment_v3.outcome_summary('1 hour', as_of => :now);
SELECT * FROM assignment_v3.retry_reasons(as_of => :now);
SELECT restaurant, invocations, manual_reviews, manual_review_pct
FROM assignment_v3.manual_review_by_restaurant(as_of => :now);
SELECT * FROM assignment_v3.confirmation_rate(as_of => :now);
SELECT * FROM assignment_v3.confirmation_rate('3 hours', bucket => '30 minutes', as_of => :now);
SELECT * FROM assignment_v3.transition_volume('1 hour', as_of => :now);
SELECT * FROM assignment_v3.pipeline_mix('3 hours', as_of => :now);
SELECT * FROM assignment_v3.error_rate('3 hours', bucket => '1 hour', as_of => :now);
SELECT * FROM assignment_v3.error_rate('3 hours', as_of => :now) WHERE errors > 0;
SELECT * FROM assignment_v3.manual_review_reasons(as_of => :now);
-- Percentiles at the upper edge of 2%-wide buckets: within 2% above the exact value.
SELECT * FROM assignment_v3.latency(as_of => :now);
SELECT percentile_disc(ARRAY[0.5, 0.95, 0.99]) WITHIN GROUP (ORDER BY v) AS exact_v3_percentiles
FROM (SELECT 10 + g AS v FROM generate_series(0, 89) g UNION ALL SELECT 500 FROM generate_series(1, 8)) s;
-- Windows count whole minutes: a 1-minute window at 11:50:30 covers 11:49:00 to 11:50:30, so
-- it sees South's 10 invocations of 11:50 (20 events).
SELECT sum(events) FROM assignment_v3.outcome_summary('1 minute', as_of => '2030-01-02 11:50:30+00');
-- An empty window answers with empty sets and NULL ratios, not errors.
SELECT * FROM assignment_v3.outcome_summary('1 hour', as_of => '2029-01-01');
SELECT * FROM assignment_v3.transition_volume('1 hour', as_of => '2029-01-01');

-- The rollups can be recounted from the events (after a load with the trigger disabled, or
-- events deleted by hand): the same answers as before.
DELETE FROM assignment_v3_internal.event_rollup;
DELETE FROM assignment_v3_internal.latency_rollup;
SELECT count(*) AS rows_without_rollups FROM assignment_v3.outcome_summary('6 hours', as_of => :now);
SELECT assignment_v3.rebuild_event_rollups('2029-12-01', '2030-01-03') AS events_counted;
SELECT * FROM assignment_v3.outcome_summary('6 hours', as_of => :now);
SELECT * FROM assignment_v3.latency(as_of => :now);
SELECT assignment_v3.rebuild_event_rollups('2030-01-03', '2030-01-01');
