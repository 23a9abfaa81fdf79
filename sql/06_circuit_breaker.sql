-- Unexpected errors: the booking gets a coordinator.error outcome (sqlstate, message) and stays
-- runnable, one bad booking does not take the batch down, and after circuit_breaker_threshold
-- errors the shared breaker opens (coordinator.circuit_open, once), V3 stops claiming for the
-- cooldown, a half-open probe runs, and success closes it (coordinator.circuit_closed).
-- The breaker counts a batch's errors when its transaction commits, and a change it makes then
-- is recorded as an event by the next batch (whoever runs it): an event is never lost with a
-- rolled-back transaction, and never written twice.
SET search_path = public;
SET assignment_v3.circuit_breaker_threshold = 3;
SET assignment_v3.circuit_breaker_cooldown = '300ms';
SET assignment_v3.retry_backoff_base = '1h';
SET assignment_v3.retry_backoff_max = '1h';
SELECT assignment_v3.reset_circuit_breaker();

SELECT t_restaurant(20, 'Faulty Grill') IS NOT NULL, t_restaurant(21, 'Healthy Grill') IS NOT NULL;
SELECT t_table(20, 200, 'F4', 4) IS NOT NULL, t_table(20, 201, 'G4', 4) IS NOT NULL,
       t_table(21, 210, 'H4', 4) IS NOT NULL;

-- The injected fault: a DBA's trigger that refuses any assignment at restaurant 20.
CREATE FUNCTION t_refuse_faulty() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Qualified: fired by the extension's SECURITY DEFINER functions, it runs with their pinned
    -- search_path (pg_catalog, pg_temp), as every trigger on the extension's tables does.
    IF NEW.restaurant_id = public.t_id('restaurant', 20) THEN
        RAISE EXCEPTION 'injected fault: restaurant 20 is read-only' USING ERRCODE = 'P0001';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER t_refuse_faulty BEFORE INSERT ON assignment_v3.table_assignments
    FOR EACH ROW EXECUTE FUNCTION t_refuse_faulty();

-- One bad booking does not take the batch down: b210 (healthy) is seated, b200 fails alone.
SELECT t_book(200, 20, 2, '19:00') IS NOT NULL, t_book(210, 21, 2, '19:00') IS NOT NULL;
SELECT * FROM t_process();
SELECT booking, state, attempts, last_reason, tables FROM t_seating(20) UNION ALL
SELECT booking, state, attempts, last_reason, tables FROM t_seating(21);
SELECT event_type, context FROM t_events(200);
SELECT context->>'message' AS message, context->>'sqlstate' AS sqlstate
FROM assignment_v3.observability_events
WHERE booking_id = t_id('booking', 200) AND event_type = 'coordinator.error';
SELECT state, failures FROM assignment_v3.circuit_breaker();

-- Two more errors reach the threshold: the breaker opens, reported once.
SELECT t_book(201, 20, 2, '20:00') IS NOT NULL, t_book(202, 20, 2, '21:00') IS NOT NULL;
SELECT * FROM t_process();
SELECT state, trips > 0 AS tripped FROM assignment_v3.circuit_breaker();
SELECT circuit_state FROM assignment_v3.status();

-- Open: V3 claims nothing, even for the healthy restaurant; the booking waits, untouched. This
-- batch records the trip.
SELECT t_book(211, 21, 2, '20:00') IS NOT NULL;
SELECT * FROM t_process();
SELECT booking, state FROM t_seating(21) WHERE booking = 'b211';
SELECT event_type, context - 'trips' AS context FROM assignment_v3.observability_events
WHERE event_type LIKE 'coordinator.circuit%' ORDER BY id;
-- An explicit assign_booking() says why it does nothing.
SELECT outcome, reason FROM assignment_v3.assign_booking(t_id('booking', 211));

-- The fault is fixed; after the cooldown one probe runs, succeeds and closes the breaker.
DROP TRIGGER t_refuse_faulty ON assignment_v3.table_assignments;
SELECT pg_sleep(0.35);
SELECT t_book(212, 21, 2, '21:00') IS NOT NULL;
SELECT * FROM t_process();
SELECT state FROM assignment_v3.circuit_breaker();
-- Closed again: everything due runs, including the bookings that failed (due again later).
SELECT t_due(200), t_due(201), t_due(202);
SELECT * FROM t_process();
SELECT event_type FROM assignment_v3.observability_events
WHERE event_type LIKE 'coordinator.circuit%' ORDER BY id;
SELECT booking, state, tables FROM t_seating(20) UNION ALL SELECT booking, state, tables FROM t_seating(21);

-- A failed probe opens the breaker again: a new trip, reported again.
SET assignment_v3.circuit_breaker_threshold = 1;
CREATE TRIGGER t_refuse_faulty BEFORE INSERT ON assignment_v3.table_assignments
    FOR EACH ROW EXECUTE FUNCTION t_refuse_faulty();
SELECT t_book(203, 20, 2, '23:00') IS NOT NULL;
SELECT * FROM t_process();
SELECT pg_sleep(0.35);
SELECT t_due(203);
SELECT * FROM t_process();
SELECT state FROM assignment_v3.circuit_breaker();
SELECT count(*) AS claimed_while_open FROM assignment_v3.process_pending();  -- records the trip
SELECT event_type, context->>'reason' AS reason FROM assignment_v3.observability_events
WHERE event_type LIKE 'coordinator.circuit%' ORDER BY id;
DROP TRIGGER t_refuse_faulty ON assignment_v3.table_assignments;
SELECT assignment_v3.reset_circuit_breaker();
SELECT state FROM assignment_v3.circuit_breaker();

-- Every invocation has exactly one outcome event; errors left no half-written booking.
SELECT count(*) FILTER (WHERE event_type = 'coordinator.start') AS starts,
       count(*) FILTER (WHERE event_type IN ('coordinator.confirmed', 'coordinator.retry',
            'coordinator.manual_review', 'coordinator.noop', 'coordinator.error')) AS outcomes
FROM assignment_v3.observability_events
WHERE restaurant_id IN (t_id('restaurant', 20), t_id('restaurant', 21));
SELECT * FROM assignment_v3.check_invariants();

SELECT count(*) AS cancelled FROM assignment_v3.bookings b, assignment_v3.cancel_booking(b.id) c
WHERE b.status = 'pending' AND c;
