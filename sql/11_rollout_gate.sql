-- The rollout gate and its verdicts on seeded windows: proceed, hold on too few samples,
-- hold on a borderline value, rollback on sustained errors, rollback on circuit trips.
-- Each scenario lives on its own day (t_seed_v3 counts minutes back from 2030-01-02 12:00).
SET search_path = public;

-- Day -10: a healthy window: 300 V3 invocations, 295 confirmed, 3 retried, 2 manual reviews.
SELECT count(*) FROM (
    SELECT t_seed_v3(10 * 1440 + g % 600, 60, 'confirmed', latency_ms => 20) FROM generate_series(1, 295) g
    UNION ALL SELECT t_seed_v3(10 * 1440 + 5, 60, 'retry', 'no_assignment', delay_ms => 500) FROM generate_series(1, 3)
    UNION ALL SELECT t_seed_v3(10 * 1440 + 7, 60, 'manual_review', 'party_too_large') FROM generate_series(1, 2)) s;
\set healthy '''2029-12-23 12:00+00'''
SELECT * FROM assignment_v3.rollout_gate('48 hours', as_of => :healthy);
SELECT assignment_v3.rollout_verdict('48 hours', as_of => :healthy);
-- Tighter thresholds turn the same window into a hold: 0.67% manual review is not < 0.5%.
SELECT assignment_v3.rollout_verdict('48 hours', max_manual_review_pct => 0.5, as_of => :healthy);

-- Day -20: an idle window (12 invocations, all fine): too few samples to proceed.
SELECT count(*) FROM (SELECT t_seed_v3(20 * 1440 + g, 60, 'confirmed') FROM generate_series(1, 12) g) s;
\set idle '''2029-12-13 12:00+00'''
SELECT check_name, observed, threshold, passed, on_failure FROM assignment_v3.rollout_gate(as_of => :idle)
WHERE NOT passed;
SELECT assignment_v3.rollout_verdict(as_of => :idle);
-- Nothing at all: hold, not proceed, and no error.
SELECT assignment_v3.rollout_verdict(as_of => '2029-06-01');

-- Day -30: borderline: 300 decisions, 288 confirmed (96%), 12 retried: hold.
SELECT count(*) FROM (
    SELECT t_seed_v3(30 * 1440 + g % 300, 60, 'confirmed') FROM generate_series(1, 288) g
    UNION ALL SELECT t_seed_v3(30 * 1440 + g * 20, 60, 'retry', 'no_assignment', delay_ms => 1000)
              FROM generate_series(1, 12) g) s;
\set borderline '''2029-12-03 12:00+00'''
SELECT check_name, observed, threshold, passed, on_failure FROM assignment_v3.rollout_gate(as_of => :borderline)
WHERE NOT passed;
SELECT assignment_v3.rollout_verdict(as_of => :borderline);

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

-- Far below the success threshold is a rollback, not a hold: 80% confirmed.
SELECT count(*) FROM (
    SELECT t_seed_v3(70 * 1440 + g % 600, 60, 'confirmed') FROM generate_series(1, 240) g
    UNION ALL SELECT t_seed_v3(70 * 1440 + g % 600, 60, 'retry', 'no_assignment', delay_ms => 1000)
              FROM generate_series(1, 60) g) s;
SELECT check_name, observed, passed, on_failure FROM assignment_v3.rollout_gate(as_of => '2029-10-24 12:00+00')
WHERE NOT passed;
SELECT assignment_v3.rollout_verdict(as_of => '2029-10-24 12:00+00');
