-- The same-writes ceiling (scripts/bench, section 8): the fastest SQL a client-side coordinator
-- could send to write exactly what the V3 workers wrote for a backlog, had it made the same
-- decisions for free. V3's own run supplies the decisions: same_writes.outcome (each booking's
-- final row), same_writes.assignments and same_writes.events (with their contexts as JSON
-- text, as a client would send them). Each transaction is one prepared statement (pgbench -M
-- prepared): claim 200 due bookings with SKIP LOCKED, update them, insert their assignments
-- under the exclusion constraint and foreign keys, insert their events (the rollup trigger
-- counts them). The extension's own booking triggers are off for the run: such a client
-- replaces the extension.
WITH claimed AS (
    SELECT b.id FROM assignment_v3.bookings b
    WHERE b.status = 'pending' AND b.assignment_state IN ('created', 'retry_scheduled')
      AND b.next_attempt_at <= now()
    ORDER BY b.next_attempt_at
    LIMIT 200
    FOR UPDATE SKIP LOCKED),
updated AS (
    UPDATE assignment_v3.bookings b
    SET assignment_state = o.assignment_state, status = o.status, assignment_version = o.assignment_version,
        attempts = o.attempts, next_attempt_at = o.next_attempt_at, last_reason = o.last_reason,
        updated_at = now()
    FROM claimed c JOIN same_writes.outcome o ON o.id = c.id
    WHERE b.id = c.id
    RETURNING b.id),
seated AS (
    INSERT INTO assignment_v3.table_assignments (booking_id, table_id, restaurant_id, during, pipeline)
    SELECT a.booking_id, a.table_id, a.restaurant_id, a.during, a.pipeline
    FROM claimed c JOIN same_writes.assignments a ON a.booking_id = c.id
    RETURNING 1),
logged AS (
    INSERT INTO assignment_v3.observability_events
        (created_at, source, event_type, severity, booking_id, restaurant_id, context)
    SELECT clock_timestamp(), e.source, e.event_type, e.severity, e.booking_id, e.restaurant_id, e.context::jsonb
    FROM claimed c JOIN same_writes.events e ON e.booking_id = c.id
    ORDER BY e.seq
    RETURNING 1)
SELECT (SELECT count(*) FROM updated), (SELECT count(*) FROM seated), (SELECT count(*) FROM logged);
