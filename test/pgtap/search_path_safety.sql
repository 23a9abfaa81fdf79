-- SECURITY DEFINER functions pin search_path: hostile objects earlier on a caller's
-- search_path (a function shadowing a built-in, a table shadowing ours) are never used.
BEGIN;
SELECT * FROM no_plan();

CREATE SCHEMA hostile;
-- Shadows pg_catalog.round(numeric, integer), used by the statistics' percentages.
CREATE FUNCTION hostile.round(numeric, integer) RETURNS numeric LANGUAGE sql AS 'SELECT 666::numeric';
-- Shadows count(*) as a function a careless reference could resolve to.
CREATE FUNCTION hostile.now() RETURNS timestamptz LANGUAGE sql AS $$SELECT '1999-01-01'::timestamptz$$;
-- A table with the name of ours, for an unqualified reference to find.
CREATE TABLE hostile.bookings (id uuid, status text, assignment_state text);
INSERT INTO hostile.bookings VALUES (gen_random_uuid(), 'pending', 'created');
CREATE TABLE hostile.observability_events (id bigint);

-- Two seated, one manual review the legacy rule would have avoided (a failure of the pipeline).
INSERT INTO assignment_v3.observability_events (created_at, source, event_type, context)
SELECT now() - interval '1 minute', 'assignment.coordinator', t, c::jsonb
FROM (VALUES ('coordinator.confirmed', '{}'), ('coordinator.confirmed', '{}'),
             ('coordinator.manual_review', '{"reason": "max_retries_exceeded", "legacy_would_seat": true}')) v(t, c);

SET LOCAL search_path = hostile, pg_catalog, public;
SELECT is((SELECT max(success_pct) FROM assignment_v3.outcome_summary('1 hour')), 100.00::numeric,
          'outcome_summary() uses pg_catalog.round, not hostile.round');
SELECT is((SELECT queue_depth FROM assignment_v3.status()), 0::bigint,
          'status() counts assignment_v3.bookings, not hostile.bookings');
SELECT is((SELECT count(*)::int FROM assignment_v3.check_invariants()), 0, 'check_invariants() reads our tables');
SELECT is((SELECT count(*)::int FROM assignment_v3.process_pending()), 0,
          'process_pending() claims from our bookings, not the hostile table');
SELECT is((SELECT observed FROM assignment_v3.rollout_gate('1 hour', min_samples => 1)
           WHERE check_name = 'success_rate'), 66.67::numeric,
          'the gate computes with pg_catalog functions (2 of 3 decisions seated)');
RESET search_path;

SELECT * FROM finish();
ROLLBACK;
