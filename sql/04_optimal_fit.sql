-- The V3 coordinator's strategy, optimal_fit, end to end through process_pending():
-- smallest single table, turn buffer, adjacent combinations in one zone, zone preference,
-- min party, and the manual-review reasons for what can never be seated.
SET search_path = public;

SELECT t_restaurant(1, 'Fit Kitchen', turn_buffer => '15 minutes') IS NOT NULL AS restaurant;
SELECT count(*) AS tables FROM (VALUES
    (t_table(1, 1, 'A2', 2)), (t_table(1, 2, 'B2', 2)),
    (t_table(1, 3, 'C4', 4)), (t_table(1, 4, 'D4', 4)), (t_table(1, 5, 'E6', 6)),
    (t_table(1, 6, 'P2', 2, 'patio')), (t_table(1, 7, 'P4', 4, 'patio')),
    (t_table(1, 8, 'L8', 8, 'lounge', min_party => 6))) t;
-- Rows of pushable tables: A2-B2 and C4-D4-E6 in the main room, P2-P4 on the patio.
SELECT t_adjacent(1, 1, 2), t_adjacent(1, 3, 4), t_adjacent(1, 4, 5), t_adjacent(1, 6, 7);

-- Smallest single table: 3 guests take a 4-top, not the 6-top; ties go by table id.
SELECT t_book(1, 1, 3, '19:00') IS NOT NULL;
-- The turn buffer keeps C4 busy until 21:15: a 21:05 party of 4 gets D4.
SELECT t_book(2, 1, 4, '21:05') IS NOT NULL;
-- At 21:15 C4 is free again.
SELECT t_book(3, 1, 4, '21:15') IS NOT NULL;
SELECT * FROM t_process();
SELECT booking, party, state, tables FROM t_seating(1);

-- Min party: 6 guests fit the lounge 8-top (min 6) and the 6-top; the 6-top wastes less.
-- 7 guests: only the lounge 8-top seats them alone.
SELECT t_book(4, 1, 6, '12:00') IS NOT NULL, t_book(5, 1, 7, '12:00') IS NOT NULL;
-- 5 guests: E6 and L8 are taken: no single table. Of the combinations, the patio pair
-- P2+P4 (6 seats) wastes less than C4+D4 (8).
SELECT t_book(6, 1, 5, '12:00') IS NOT NULL;
-- 10 guests: no free combination seats them at 12:30: retried later.
SELECT t_book(7, 1, 10, '12:30') IS NOT NULL;
SELECT * FROM t_process();
SELECT booking, party, state, tables, last_reason FROM t_seating(1) WHERE booking IN ('b4', 'b5', 'b6', 'b7');

-- Three tables: 14 guests at 15:00 get C4+D4+E6, the only combination large enough.
SELECT t_book(8, 1, 14, '15:00') IS NOT NULL;
-- Single tables come before combinations: 6 guests get the lounge 8-top rather than the
-- patio pair they prefer (combinations are the fallback, and never cross zones).
SELECT t_book(9, 1, 6, '15:00', zone => 'patio') IS NOT NULL;
SELECT * FROM t_process();
SELECT booking, party, state, tables FROM t_seating(1) WHERE booking IN ('b8', 'b9');

-- Zone preference when it costs nothing: 2 guests preferring the patio get P2, not A2.
SELECT t_book(10, 1, 2, '09:00', zone => 'patio') IS NOT NULL;
-- ... and 4 guests get P4 over C4.
SELECT t_book(11, 1, 4, '09:00', zone => 'patio') IS NOT NULL;
-- When it would cost seats it is not honoured: P2 is taken now, so 2 guests get A2, not P4.
SELECT t_book(12, 1, 2, '09:00', zone => 'patio') IS NOT NULL;
-- Without a preference the main room's id order decides.
SELECT t_book(13, 1, 2, '09:00') IS NOT NULL;
SELECT * FROM t_process();
SELECT booking, party, state, tables FROM t_seating(1) WHERE booking IN ('b10', 'b11', 'b12', 'b13');

-- What can never be seated goes to manual review at once, with the reason.
SELECT t_book(14, 1, 25, '10:00') IS NOT NULL;            -- more than any combination seats
SELECT t_restaurant(2, 'Empty Room') IS NOT NULL;
SELECT t_book(15, 2, 2, '10:00') IS NOT NULL;             -- a restaurant without tables
SELECT t_restaurant(3, 'Big Tables Only') IS NOT NULL;
SELECT t_table(3, 30, 'Z8', 8, min_party => 5) IS NOT NULL;
SELECT t_book(16, 3, 2, '10:00') IS NOT NULL;             -- too small for every table
SELECT * FROM t_process();
SELECT booking, state, attempts, last_reason FROM t_seating(1) WHERE booking = 'b14'
UNION ALL SELECT booking, state, attempts, last_reason FROM t_seating(2)
UNION ALL SELECT booking, state, attempts, last_reason FROM t_seating(3);

-- Inactive tables are never used; the inventory cache sees the change at once.
UPDATE assignment_v3.restaurant_tables SET active = false WHERE label IN ('A2', 'B2', 'P2')
  AND restaurant_id = t_id('restaurant', 1);
SELECT t_book(17, 1, 2, '23:00') IS NOT NULL;
SELECT * FROM t_process();
SELECT booking, state, tables FROM t_seating(1) WHERE booking = 'b17';

-- The confirmation event says how: strategy, attempts, trigger, tables, combination.
SELECT event_type, context FROM t_events(6);
SELECT jsonb_array_length(context->'tables') AS tables, context->>'combination' AS combination
FROM assignment_v3.observability_events
WHERE booking_id = t_id('booking', 8) AND event_type = 'coordinator.confirmed';

-- Nothing is double-booked, nothing is inconsistent.
SELECT * FROM assignment_v3.check_invariants();

-- Later tests see only their own bookings: cancel what still waits.
SELECT count(*) AS cancelled FROM assignment_v3.bookings b, assignment_v3.cancel_booking(b.id) c
WHERE b.status = 'pending' AND c;
