-- The legacy planner (first fit by label, single tables, up to legacy_max_attempts in one
-- invocation, no state machine; auto_assign.* events; pipeline 'legacy'), and shadow mode:
-- legacy serves, V3's plan for the same booking version is recorded and nothing else.
SET search_path = public;

SELECT t_restaurant(40, 'Old School') IS NOT NULL;
SELECT t_table(40, 400, 'T1', 6) IS NOT NULL, t_table(40, 401, 'T2', 2) IS NOT NULL,
       t_table(40, 402, 'T3', 4) IS NOT NULL;
INSERT INTO assignment_v3.restaurant_rollout VALUES (t_id('restaurant', 40), 'legacy');
SELECT assignment_v3.restaurant_mode(t_id('restaurant', 40));

-- First fit by label: 2 guests take T1 (6 seats) because it comes first; V3 would pick T2.
SELECT t_book(400, 40, 2, '19:00') IS NOT NULL, t_book(401, 40, 2, '19:00') IS NOT NULL,
       t_book(402, 40, 4, '19:00') IS NOT NULL, t_book(403, 40, 2, '19:00') IS NOT NULL;
SELECT * FROM t_process();
SELECT booking, state, status, version, attempts, last_reason, tables, pipeline FROM t_seating(40);
-- No state machine: no transition events; one attempt event per try and one summary.
SELECT event_type, context FROM t_events(400);
SELECT event_type, context FROM t_events(402);
SELECT event_type, context FROM t_events(403);

-- A forced legacy run of a V3 restaurant's booking, and the legacy planner on settled bookings.
SELECT t_restaurant(41, 'Forced Legacy') IS NOT NULL, t_table(41, 410, 'Q4', 4) IS NOT NULL;
SELECT t_book(410, 41, 3, '19:00') IS NOT NULL;
SELECT outcome, reason, t_short(table_ids[1]) AS table_id, pipeline
FROM assignment_v3.assign_booking(t_id('booking', 410), pipeline => 'legacy');
SELECT outcome, reason, pipeline FROM assignment_v3.assign_booking(t_id('booking', 410), pipeline => 'legacy');

-- Shadow: the restaurant is served by legacy, and V3's plan is recorded per booking version.
SELECT t_restaurant(42, 'Shadowed') IS NOT NULL;
SELECT t_table(42, 420, 'S1', 8) IS NOT NULL, t_table(42, 421, 'S2', 2) IS NOT NULL,
       t_table(42, 422, 'S3', 4) IS NOT NULL, t_table(42, 423, 'S4', 4) IS NOT NULL;
SELECT t_adjacent(42, 422, 423), t_adjacent(42, 420, 421);
INSERT INTO assignment_v3.restaurant_rollout VALUES (t_id('restaurant', 42), 'shadow');
SELECT assignment_v3.restaurant_mode(t_id('restaurant', 42));
SELECT t_book(420, 42, 2, '19:00') IS NOT NULL,   -- legacy: S1; V3 would take S2 (disagree)
       t_book(421, 42, 4, '19:00') IS NOT NULL,   -- legacy: S3; V3: S3 (agree)
       t_book(422, 42, 8, '19:00') IS NOT NULL,   -- legacy: S1 is taken: manual review;
                                                  -- V3: S3+S4 is taken too: it would retry
       t_book(423, 42, 11, '20:00') IS NOT NULL,  -- nothing ever seats 11: both escalate
       t_book(424, 42, 10, '12:00') IS NOT NULL;  -- legacy: no single table seats 10;
                                                  -- V3 would combine S1+S2
SELECT * FROM t_process();
SELECT booking, state, tables, pipeline FROM t_seating(42);
SELECT t_short(p.booking_id) AS booking, p.assignment_version, p.outcome, p.reason,
       (SELECT string_agg(t.label, '+' ORDER BY t.label) FROM assignment_v3.restaurant_tables t
        WHERE t.id = ANY (p.table_ids)) AS v3_tables
FROM assignment_v3.shadow_plans p WHERE p.restaurant_id = t_id('restaurant', 42) ORDER BY p.booking_id;
-- Shadow writes only shadow_plans and coordinator.shadow_plan events: no V3 outcome events.
SELECT e.event_type, count(*) FROM assignment_v3.observability_events e
WHERE e.restaurant_id = t_id('restaurant', 42) GROUP BY 1 ORDER BY 1;
SELECT context - 'tables' AS context FROM assignment_v3.observability_events
WHERE booking_id = t_id('booking', 420) AND event_type = 'coordinator.shadow_plan';
SELECT count(*) AS v3_assignments FROM assignment_v3.table_assignments
WHERE restaurant_id = t_id('restaurant', 42) AND pipeline = 'v3';

-- The agreement report compares each plan with what legacy did for the same booking version.
SELECT * FROM assignment_v3.shadow_agreement();
SELECT t_short(booking_id) AS booking, outcome, legacy_outcome,
       cardinality(table_ids) AS v3_tables, cardinality(legacy_table_ids) AS legacy_tables
FROM assignment_v3.shadow_plans WHERE restaurant_id = t_id('restaurant', 42) ORDER BY booking_id;

-- Rollout buckets are stable and spread evenly: of 1,000 restaurants about 10% are in the
-- first 10 buckets, and every one of them stays in at 50% (raising the percentage only adds).
WITH r AS (SELECT assignment_v3.rollout_bucket(t_id('restaurant', g)) AS bucket FROM generate_series(1, 1000) g)
SELECT count(*) FILTER (WHERE bucket < 10) AS at_10_pct, count(*) FILTER (WHERE bucket < 50) AS at_50_pct,
       count(*) FILTER (WHERE bucket < 100) AS at_100_pct,
       bool_and(bucket < 50) FILTER (WHERE bucket < 10) AS ten_within_fifty
FROM r;

-- Overrides resolve per restaurant; removing one returns it to the percentage (V3 here).
DELETE FROM assignment_v3.restaurant_rollout WHERE restaurant_id = t_id('restaurant', 42);
SELECT assignment_v3.restaurant_mode(t_id('restaurant', 42));
SELECT assignment_v3.restaurant_mode(t_id('restaurant', 99));
SELECT assignment_v3.rollout_bucket(t_id('restaurant', 42)) BETWEEN 0 AND 99 AS bucket_in_range;

SELECT * FROM assignment_v3.check_invariants();
SELECT count(*) AS cancelled FROM assignment_v3.bookings b, assignment_v3.cancel_booking(b.id) c
WHERE b.status = 'pending' AND c;
