-- The event contract the runbook's queries rely on, checked over every event the previous
-- tests wrote: one outcome event per coordinator invocation, context.reason on every
-- non-success outcome and never on a success, and the size guard on contexts.
SET search_path = public;

-- Each coordinator.start is followed by exactly one outcome event for the same booking.
WITH coordinator_events AS (
    SELECT e.booking_id, e.event_type,
           lead(e.event_type) OVER (PARTITION BY e.booking_id ORDER BY e.created_at, e.id) AS next_type
    FROM assignment_v3.observability_events e
    WHERE e.source = 'assignment.coordinator' AND e.booking_id IS NOT NULL
      AND e.event_type NOT IN ('coordinator.lock_contention', 'coordinator.shadow_plan')
)
SELECT count(*) > 30 AS many_invocations,
       count(*) = count(*) FILTER (WHERE next_type IN ('coordinator.confirmed', 'coordinator.retry',
                                                       'coordinator.manual_review', 'coordinator.noop',
                                                       'coordinator.error')) AS each_followed_by_an_outcome
FROM coordinator_events WHERE event_type = 'coordinator.start';
SELECT count(*) AS outcomes_without_a_start
FROM (SELECT e.event_type, lag(e.event_type) OVER (PARTITION BY e.booking_id ORDER BY e.created_at, e.id) AS previous
      FROM assignment_v3.observability_events e
      WHERE e.source = 'assignment.coordinator' AND e.booking_id IS NOT NULL
        AND e.event_type NOT IN ('coordinator.lock_contention', 'coordinator.shadow_plan')) s
WHERE s.event_type <> 'coordinator.start' AND s.previous IS DISTINCT FROM 'coordinator.start';

-- Success carries no reason; everything else does (the runbook's success ratio).
SELECT event_type, bool_and(context ? 'reason') AS all_have_reason, bool_or(context ? 'reason') AS any_has_reason
FROM assignment_v3.observability_events
WHERE event_type IN ('coordinator.confirmed', 'coordinator.retry', 'coordinator.manual_review',
                     'coordinator.noop', 'coordinator.error', 'coordinator.circuit_open')
GROUP BY event_type ORDER BY event_type;

-- Size guard: an error whose message is 5,000 characters is stored within the limit, keeps
-- its reason and sqlstate, and says it was truncated.
SET assignment_v3.max_event_context_bytes = 256;
SET assignment_v3.retry_backoff_base = '1h';
SELECT t_restaurant(50, 'Verbose Errors') IS NOT NULL, t_table(50, 500, 'V4', 4) IS NOT NULL;
CREATE FUNCTION t_long_error() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '%', repeat('very long message ', 300) USING ERRCODE = 'XX001';
END $$;
CREATE TRIGGER t_long_error BEFORE INSERT ON assignment_v3.table_assignments
    FOR EACH ROW WHEN (NEW.restaurant_id = 'a0000000-0000-0000-0000-000000000050')
    EXECUTE FUNCTION t_long_error();
SELECT t_book(500, 50, 2, '19:00') IS NOT NULL;
SELECT * FROM t_process();
DROP TRIGGER t_long_error ON assignment_v3.table_assignments;
SELECT octet_length(context::text) <= 256 AS within_limit, context->>'reason' AS reason,
       context->>'sqlstate' AS sqlstate, context->>'truncated' AS truncated,
       (context->>'original_bytes')::int > 5000 AS original_was_large,
       left(context->>'message', 17) AS message_start
FROM assignment_v3.observability_events
WHERE booking_id = t_id('booking', 500) AND event_type = 'coordinator.error';
RESET assignment_v3.max_event_context_bytes;
SELECT assignment_v3.reset_circuit_breaker();

SELECT * FROM assignment_v3.check_invariants();
SELECT count(*) AS cancelled FROM assignment_v3.bookings b, assignment_v3.cancel_booking(b.id) c
WHERE b.status = 'pending' AND c;
