-- The rollout gate judges the pipeline per booking it decided, on seeded windows: a healthy
-- window proceeds; too few samples hold; a healthy pipeline draining a rate-limited backlog
-- (many retries, every booking seated) proceeds; a fully booked evening (manual reviews no
-- pipeline could avoid) does not roll back; manual reviews the legacy planner would have
-- avoided, sustained errors and circuit trips roll back; shadow plans worse than legacy hold.
-- Each scenario lives on its own day (t_seed_v3 counts minutes back from 2030-01-02 12:00).
SET search_path = public;

-- Day -10: a healthy window: 300 bookings decided, 298 seated, 2 parties too large for any table.
SELECT count(*) FROM (
    SELECT t_seed_v3(10 * 1440 + g % 600, 60, 'confirmed', latency_ms => 20) FROM generate_series(1, 298) g
    UNION ALL SELECT t_seed_v3(10 * 1440 + 5, 60, 'retry', 'no_assignment', delay_ms => 500) FROM generate_series(1, 3)
    UNION ALL SELECT t_seed_v3(10 * 1440 + 7, 60, 'manual_review', 'party_too_large', legacy_would_seat => false)
              FROM generate_series(1, 2)) s;
\set healthy '''2029-12-23 12:00+00'''
SELECT * FROM assignment_v3.rollout_gate('48 hours', as_of => :healthy);
SELECT assignment_v3.rollout_verdict('48 hours', as_of => :healthy);
SELECT * FROM assignment_v3.rollout_evidence('48 hours', as_of => :healthy);

-- Day -20: an idle window (12 bookings, all fine): too few samples to proceed.
SELECT count(*) FROM (SELECT t_seed_v3(20 * 1440 + g, 60, 'confirmed') FROM generate_series(1, 12) g) s;
\set idle '''2029-12-13 12:00+00'''
SELECT check_name, observed, threshold, passed, on_failure FROM assignment_v3.rollout_gate(as_of => :idle)
WHERE NOT passed;
SELECT assignment_v3.rollout_verdict(as_of => :idle);
-- Nothing at all: hold, not proceed, and no error.
SELECT assignment_v3.rollout_verdict(as_of => '2029-06-01');

-- Day -30: a rate-limited backlog drained by a healthy pipeline: 300 bookings, each seated
-- after one or two rate_limited retries and some after waiting for a table. Every booking
-- seated: proceed (counting invocations would have said 33% success, and rollback).
SELECT count(*) FROM (
    SELECT t_seed_v3(30 * 1440 + g % 300, 60, 'confirmed') FROM generate_series(1, 300) g
    UNION ALL SELECT t_seed_v3(30 * 1440 + g % 300, 60, 'retry', 'rate_limited', delay_ms => 20 * g)
              FROM generate_series(1, 550) g
    UNION ALL SELECT t_seed_v3(30 * 1440 + g % 300, 60, 'retry', 'no_assignment', delay_ms => 1000)
              FROM generate_series(1, 40) g) s;
\set backlog '''2029-12-03 12:00+00'''
SELECT check_name, observed, passed FROM assignment_v3.rollout_gate(as_of => :backlog);
SELECT assignment_v3.rollout_verdict(as_of => :backlog);
SELECT category, measure, observed FROM assignment_v3.rollout_evidence(as_of => :backlog)
WHERE category IN ('back_pressure', 'capacity');
-- outcome_summary() still answers the runbook's original query, per event type.
SELECT event_type, events, successes, failures FROM assignment_v3.outcome_summary('48 hours', as_of => :backlog)
WHERE event_type IN ('coordinator.confirmed', 'coordinator.retry');

-- Day -35: a fully booked evening: 250 seated; 60 parties could not be seated by anyone (no
-- table free, the legacy rule would not have seated them either) after their retries.
SELECT count(*) FROM (
    SELECT t_seed_v3(35 * 1440 + g % 300, 60, 'confirmed') FROM generate_series(1, 250) g
    UNION ALL SELECT t_seed_v3(35 * 1440 + g % 300, 60, 'retry', 'no_assignment', delay_ms => 1000)
              FROM generate_series(1, 300) g
    UNION ALL SELECT t_seed_v3(35 * 1440 + g % 300, 60, 'manual_review', 'retries_exhausted', legacy_would_seat => false)
              FROM generate_series(1, 60) g) s;
\set full '''2029-11-28 12:00+00'''
SELECT check_name, observed, passed, on_failure FROM assignment_v3.rollout_gate(as_of => :full);
SELECT assignment_v3.rollout_verdict(as_of => :full);

-- Day -38: V3 sends to manual review parties the legacy planner would have seated (here: it
-- keeps a covers cap legacy ignores): 20 of 270, 7.4%: rollback.
SELECT count(*) FROM (
    SELECT t_seed_v3(38 * 1440 + g % 300, 60, 'confirmed') FROM generate_series(1, 250) g
    UNION ALL SELECT t_seed_v3(38 * 1440 + g % 300, 60, 'manual_review', 'retries_exhausted', legacy_would_seat => true)
              FROM generate_series(1, 20) g) s;
\set worse '''2029-11-25 12:00+00'''
SELECT check_name, observed, passed, on_failure FROM assignment_v3.rollout_gate(as_of => :worse) WHERE NOT passed;
SELECT assignment_v3.rollout_verdict(as_of => :worse);
SELECT category, measure, observed FROM assignment_v3.rollout_evidence(as_of => :worse)
WHERE category IN ('pipeline', 'capacity');
-- Two of 300 such reviews (0.67%) pass the runbook's 1%, and hold at a tighter 0.5%.
SELECT count(*) FROM (
    SELECT t_seed_v3(39 * 1440 + g % 300, 60, 'confirmed') FROM generate_series(1, 298) g
    UNION ALL SELECT t_seed_v3(39 * 1440 + 7, 60, 'manual_review', 'retries_exhausted', legacy_would_seat => true)
              FROM generate_series(1, 2)) s;
SELECT assignment_v3.rollout_verdict(as_of => '2029-11-24 12:00+00');
SELECT assignment_v3.rollout_verdict(max_manual_review_pct => 0.5, as_of => '2029-11-24 12:00+00');

-- Day -40: errors in two consecutive 5-minute buckets (sustained): rollback, even though
-- the overall success rate is fine.
SELECT count(*) FROM (
    SELECT t_seed_v3(40 * 1440 + g % 600, 60, 'confirmed') FROM generate_series(1, 400) g
    UNION ALL SELECT t_seed_v3(40 * 1440 + 100, 60, 'error', 'unexpected_error') FROM generate_series(1, 3)
    UNION ALL SELECT t_seed_v3(40 * 1440 + 95, 60, 'error', 'unexpected_error') FROM generate_series(1, 3)) s;
\set errors '''2029-11-23 12:00+00'''
SELECT check_name, observed, threshold, passed, on_failure FROM assignment_v3.rollout_gate(as_of => :errors)
WHERE NOT passed;
SELECT assignment_v3.rollout_verdict(as_of => :errors);
-- A single spike is not sustained: one bucket with errors alone passes.
SELECT count(*) FROM (
    SELECT t_seed_v3(50 * 1440 + g % 600, 60, 'confirmed') FROM generate_series(1, 400) g
    UNION ALL SELECT t_seed_v3(50 * 1440 + 100, 60, 'error', 'unexpected_error') FROM generate_series(1, 3)) s;
SELECT observed, passed FROM assignment_v3.rollout_gate(as_of => '2029-11-13 12:00+00')
WHERE check_name = 'sustained_errors';

-- Day -60: a healthy window with one circuit trip: rollback.
SELECT count(*) FROM (
    SELECT t_seed_v3(60 * 1440 + g % 600, 60, 'confirmed') FROM generate_series(1, 400) g) s;
INSERT INTO assignment_v3.observability_events (created_at, source, event_type, severity, context)
VALUES (timestamptz '2029-11-03 10:00+00', 'assignment.coordinator', 'coordinator.circuit_open', 'error',
        '{"reason": "error_threshold"}');
\set trip '''2029-11-03 12:00+00'''
SELECT check_name, observed, threshold, passed, on_failure FROM assignment_v3.rollout_gate(as_of => :trip)
WHERE NOT passed;
SELECT assignment_v3.rollout_verdict(as_of => :trip);
SELECT assignment_v3.rollout_verdict(max_circuit_trips => 1, as_of => :trip);

-- Far below the success threshold is a rollback, not a hold: 80% of what could be seated.
SELECT count(*) FROM (
    SELECT t_seed_v3(70 * 1440 + g % 600, 60, 'confirmed') FROM generate_series(1, 240) g
    UNION ALL SELECT t_seed_v3(70 * 1440 + g % 600, 60, 'manual_review', 'retries_exhausted', legacy_would_seat => true)
              FROM generate_series(1, 60) g) s;
SELECT check_name, observed, passed, on_failure FROM assignment_v3.rollout_gate(as_of => '2029-10-24 12:00+00')
WHERE NOT passed;
SELECT assignment_v3.rollout_verdict(as_of => '2029-10-24 12:00+00');

-- Day -80: shadow mode's baseline. Of 100 booking versions both planned, V3 would have seated
-- 90 and legacy seated 95: V3 is 5 points worse than legacy: hold.
SELECT t_restaurant(62, 'Shadow Compare') IS NOT NULL, t_table(62, 620, 'S2', 2) IS NOT NULL;
INSERT INTO assignment_v3.bookings (id, restaurant_id, party_size, start_at, end_at)
SELECT t_id('booking', 6200 + g), t_id('restaurant', 62), 2, '2031-01-01 19:00+00', '2031-01-01 21:00+00'
FROM generate_series(1, 100) g;
INSERT INTO assignment_v3.shadow_plans (booking_id, assignment_version, restaurant_id, outcome, reason, computed_at,
                                         legacy_outcome)
SELECT t_id('booking', 6200 + g), 0, t_id('restaurant', 62),
       CASE WHEN g <= 90 THEN 'confirmed' ELSE 'manual_review' END,
       CASE WHEN g > 90 THEN 'retries_exhausted' END,
       timestamptz '2029-10-14 10:00+00',
       CASE WHEN g <= 95 THEN 'confirmed' ELSE 'manual_review' END
FROM generate_series(1, 100) g;
SELECT count(*) FROM (SELECT t_seed_v3(80 * 1440 + g % 300, 60, 'confirmed') FROM generate_series(1, 300) g) s;
\set shadow '''2029-10-14 12:00+00'''
SELECT check_name, observed, threshold, passed, on_failure FROM assignment_v3.rollout_gate(as_of => :shadow)
WHERE check_name = 'shadow_vs_legacy';
SELECT assignment_v3.rollout_verdict(as_of => :shadow);
SELECT measure, observed FROM assignment_v3.rollout_evidence(as_of => :shadow) WHERE category = 'baseline';
SELECT count(*) AS cancelled FROM assignment_v3.bookings b, assignment_v3.cancel_booking(b.id) c
WHERE b.restaurant_id = t_id('restaurant', 62) AND c;
