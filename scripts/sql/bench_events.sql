-- :invocations coordinator invocations (about 4.8 events each, so 2.1 million make 10 million
-- events) over the 14 days before now, at :restaurants restaurants: 85 % confirmed (start, three
-- transitions, confirmed), 10 % retried, 2 % manual review, 0.5 % errors, 2.5 % legacy. The
-- bookings' ids are made as the bookings' were (:booking_ids: random, the default of
-- bookings.id, or time_ordered).
SELECT setseed(0.11);
INSERT INTO assignment_v3.observability_events (created_at, source, event_type, severity, booking_id, restaurant_id, context)
SELECT t.at + e.n * interval '1 millisecond', e.source, e.event_type, 'info', t.booking, t.restaurant, e.context
FROM (SELECT s.*, CASE :'booking_ids' WHEN 'random' THEN gen_random_uuid() ELSE assignment_v3.uuid_v7(s.at) END AS booking
      FROM (SELECT now() - random() * interval '14 days' AS at,
                   r.ids[1 + floor(random() * cardinality(r.ids))::int] AS restaurant, random() AS kind,
                   (10 + random() * random() * 400)::int AS latency
            FROM (SELECT array_agg(id) AS ids FROM assignment_v3.restaurants) r, generate_series(1, :invocations) g) s) t
CROSS JOIN LATERAL (
    SELECT * FROM (VALUES
        (0, 'assignment.coordinator', 'coordinator.start', '{"mode": "full", "attempt": 1, "trigger": "creation", "version": 0}'::jsonb, 0.0, 0.975),
        (1, 'assignment.state_machine', 'booking.assignment_state_transition', '{"from": "created", "to": "capacity_verified", "version": 1}', 0.0, 0.95),
        (2, 'assignment.state_machine', 'booking.assignment_state_transition', '{"from": "capacity_verified", "to": "table_selected", "version": 2}', 0.0, 0.85),
        (3, 'assignment.state_machine', 'booking.assignment_state_transition', '{"from": "table_selected", "to": "confirmed", "version": 3}', 0.0, 0.85),
        (4, 'assignment.coordinator', 'coordinator.confirmed', jsonb_build_object('strategy', 'optimal_fit', 'attempts', 1, 'latency_ms', t.latency), 0.0, 0.85),
        (2, 'assignment.state_machine', 'booking.assignment_state_transition', '{"from": "capacity_verified", "to": "retry_scheduled", "reason": "no_assignment", "version": 2}', 0.85, 0.95),
        (3, 'assignment.coordinator', 'coordinator.retry', '{"reason": "no_assignment", "delay_ms": 850, "attempts": 1}', 0.85, 0.95),
        (1, 'assignment.state_machine', 'booking.assignment_state_transition', '{"from": "created", "to": "manual_review", "reason": "party_too_large", "version": 1}', 0.95, 0.97),
        (2, 'assignment.coordinator', 'coordinator.manual_review', '{"reason": "party_too_large", "attempts": 0}', 0.95, 0.97),
        (1, 'assignment.coordinator', 'coordinator.error', '{"reason": "unexpected_error", "sqlstate": "40P01", "delay_ms": 1000}', 0.97, 0.975),
        (0, 'auto_assign', 'auto_assign.attempt.start', '{"attempt": 1, "max_attempts": 3}', 0.975, 1.0),
        (1, 'auto_assign', 'auto_assign.summary', jsonb_build_object('outcome', 'confirmed', 'attempts', 1, 'latency_ms', t.latency * 3), 0.975, 1.0)
    ) v(n, source, event_type, context, kind_from, kind_to)
    WHERE t.kind >= v.kind_from AND t.kind < v.kind_to) e;
