-- Restaurants whose tables change. A table deactivated, shrunk below a party seated at it,
-- moved to another zone, or un-joined from a combination: every upcoming booking it affects
-- goes back through the pipeline (trigger inventory_change, its tables released, one transition
-- per step) and is seated again over what is left, or sent to manual review when nothing is
-- free (no_table_after_inventory_change). A booking under way keeps its seats and is reported.
-- Deleting a table with seatings is refused, saying to deactivate it. And a booking whose start
-- is before the moment it was made goes to manual review (in_the_past), whoever serves it.
SET search_path = public;
SET assignment_v3.retry_backoff_base = '1h';
SET assignment_v3.retry_backoff_max = '1h';
SET assignment_v3.restaurant_rate_limit = 0;

SELECT t_restaurant(80, 'Changing Rooms') IS NOT NULL;
SELECT t_table(80, 800, 'A2', 2) IS NOT NULL, t_table(80, 801, 'B4', 4) IS NOT NULL,
       t_table(80, 802, 'C4', 4) IS NOT NULL, t_table(80, 803, 'D6', 6) IS NOT NULL,
       t_table(80, 804, 'E4', 4, zone => 'terrace') IS NOT NULL,
       t_table(80, 805, 'F4', 4, zone => 'terrace') IS NOT NULL;
SELECT t_adjacent(80, 804, 805);
-- b800 at A2, b801 at B4, b802 at C4, b803 (party 6) at D6, b804 (party 8) at E4+F4.
SELECT t_book(800, 80, 2, '19:00') IS NOT NULL, t_book(801, 80, 3, '19:00') IS NOT NULL,
       t_book(802, 80, 4, '19:00') IS NOT NULL, t_book(803, 80, 6, '19:00') IS NOT NULL,
       t_book(804, 80, 8, '19:00') IS NOT NULL;
SELECT * FROM t_process();
SELECT booking, party, state, tables FROM t_seating(80);

-- Deactivate A2: b800 goes back through the pipeline. Every other table is taken at 19:00, and
-- it was seated: rather than wait for a retry, it goes to manual review at once.
UPDATE assignment_v3.restaurant_tables SET active = false WHERE id = t_id('table', 800);
SELECT booking, state, last_reason, tables FROM t_seating(80) WHERE booking = 'b800';
SELECT event_type, context FROM t_events(800) WHERE context->>'cause' = 'inventory_change';
SELECT * FROM t_process();
SELECT booking, state, last_reason, tables FROM t_seating(80) WHERE booking = 'b800';
SELECT event_type, context->>'trigger' AS trigger FROM t_events(800) WHERE event_type = 'coordinator.start';

-- Shrink C4 to 2 seats: b802 (4 guests) cannot stay. B4 was freed a moment before (b801
-- cancelled): b802 is seated there.
UPDATE assignment_v3.bookings SET status = 'cancelled' WHERE id = t_id('booking', 801);
UPDATE assignment_v3.restaurant_tables SET capacity = 2 WHERE id = t_id('table', 802);
SELECT * FROM t_process();
SELECT booking, party, state, tables FROM t_seating(80) WHERE booking IN ('b801', 'b802');

-- Un-join E4 and F4: the party of 8 loses its combination and nothing else seats 8.
DELETE FROM assignment_v3.table_adjacency WHERE restaurant_id = t_id('restaurant', 80);
SELECT * FROM t_process();
SELECT booking, party, state, last_reason, tables FROM t_seating(80) WHERE booking = 'b804';

-- Move a table of a combination to another zone: the same. (Seat b804 by hand on E4+F4 first:
-- an operator's seating is not a combination of adjacent tables, so it stays.)
SELECT t_adjacent(80, 804, 805);
SELECT assignment_v3.requeue(t_id('booking', 804));
SELECT * FROM t_process();
SELECT booking, state, tables FROM t_seating(80) WHERE booking = 'b804';
UPDATE assignment_v3.restaurant_tables SET zone = 'main' WHERE id = t_id('table', 805);
SELECT * FROM t_process();
SELECT booking, state, last_reason, tables FROM t_seating(80) WHERE booking = 'b804';
SELECT assignment_v3.assign_manually(t_id('booking', 804), ARRAY[t_id('table', 804), t_id('table', 805)]);
UPDATE assignment_v3.restaurant_tables SET zone = 'terrace' WHERE id = t_id('table', 805);
SELECT booking, state, tables, pipeline FROM t_seating(80) WHERE booking = 'b804';

-- Changes that do not matter to a seating leave it alone (a larger table, a new label).
UPDATE assignment_v3.restaurant_tables SET capacity = 8, label = 'D8' WHERE id = t_id('table', 803);
SELECT booking, state, tables FROM t_seating(80) WHERE booking = 'b803';

-- A booking under way keeps its seats when its table is deactivated, and is reported.
INSERT INTO assignment_v3.bookings (id, restaurant_id, party_size, start_at, end_at)
VALUES (t_id('booking', 805), t_id('restaurant', 80), 2, now() - interval '30 minutes', now() + interval '1 hour');
SELECT assignment_v3.assign_manually(t_id('booking', 805), ARRAY[t_id('table', 801)]);
UPDATE assignment_v3.restaurant_tables SET active = false WHERE id = t_id('table', 801);
SELECT booking, state, tables FROM t_seating(80) WHERE booking = 'b805';
SELECT invariant, t_short(booking_id) AS booking, detail FROM assignment_v3.check_invariants();

-- Deleting a table with seatings is refused, saying what to do; an unused one goes.
DELETE FROM assignment_v3.restaurant_tables WHERE id = t_id('table', 803);
DELETE FROM assignment_v3.restaurant_tables WHERE id = t_id('table', 801);
SELECT t_table(80, 806, 'G2', 2) IS NOT NULL;
DELETE FROM assignment_v3.restaurant_tables WHERE id = t_id('table', 806);
SELECT count(*) AS g2_left FROM assignment_v3.restaurant_tables WHERE id = t_id('table', 806);

-- A booking for a time already past: manual review (in_the_past), V3 or legacy; one for now
-- (a walk-in) is seated.
SELECT t_restaurant(81, 'Late Again') IS NOT NULL, t_table(81, 810, 'L4', 4) IS NOT NULL,
       t_table(81, 811, 'M4', 4) IS NOT NULL;
INSERT INTO assignment_v3.bookings (id, restaurant_id, party_size, start_at, end_at)
VALUES (t_id('booking', 810), t_id('restaurant', 81), 2, now() - interval '1 day', now() - interval '22 hours'),
       (t_id('booking', 811), t_id('restaurant', 81), 2, now() - interval '1 hour', now() + interval '1 hour'),
       (t_id('booking', 812), t_id('restaurant', 81), 2, now(), now() + interval '2 hours');
SELECT outcome, reason FROM assignment_v3.assign_booking(t_id('booking', 810));
SELECT outcome, reason FROM assignment_v3.assign_booking(t_id('booking', 811), pipeline => 'legacy');
SELECT outcome, reason FROM assignment_v3.assign_booking(t_id('booking', 812));

SELECT invariant, t_short(booking_id) AS booking FROM assignment_v3.check_invariants();
UPDATE assignment_v3.bookings SET status = 'cancelled' WHERE restaurant_id IN (t_id('restaurant', 80), t_id('restaurant', 81))
  AND status <> 'cancelled';
