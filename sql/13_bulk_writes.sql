-- Applications write in statements over many rows: thousands of bookings inserted at once,
-- every booking of a restaurant cancelled at once (while others of it wait for a retry),
-- party sizes and times of several bookings changed at once, bookings deleted. Each booking
-- gets exactly its transition (one event each), its tables released, and the restaurant's
-- waiting retries are woken once per statement.
SET search_path = public;
SET assignment_v3.retry_backoff_base = '1h';
SET assignment_v3.retry_backoff_max = '1h';
SET assignment_v3.restaurant_rate_limit = 0;

SELECT t_restaurant(70, 'Bulk Brasserie') IS NOT NULL, t_restaurant(71, 'Bulk Bistro') IS NOT NULL;
INSERT INTO assignment_v3.restaurant_tables (id, restaurant_id, label, capacity)
SELECT t_id('table', 700 + g), t_id('restaurant', 70 + g % 2), 'T' || g, 2 + 2 * (g % 3)
FROM generate_series(0, 19) g;

-- 3,000 bookings in one statement, over 30 evenings of both restaurants.
INSERT INTO assignment_v3.bookings (restaurant_id, party_size, start_at, end_at, next_attempt_at)
SELECT t_id('restaurant', 70 + g % 2), 1 + g % 6,
       timestamptz '2031-01-01 18:00+00' + (g % 30) * interval '1 day' + (g / 60 % 6) * interval '30 minutes',
       timestamptz '2031-01-01 20:00+00' + (g % 30) * interval '1 day' + (g / 60 % 6) * interval '30 minutes',
       '2000-01-01'
FROM generate_series(1, 3000) g;
SELECT count(*) AS inserted FROM assignment_v3.bookings WHERE restaurant_id IN (t_id('restaurant', 70), t_id('restaurant', 71));
SELECT outcome, count(*) FROM assignment_v3.process_pending(5000) GROUP BY 1 ORDER BY 1;
SELECT assignment_state, count(*) FROM assignment_v3.bookings
WHERE restaurant_id IN (t_id('restaurant', 70), t_id('restaurant', 71)) GROUP BY 1 ORDER BY 1;
SELECT count(*) AS invariant_violations FROM assignment_v3.check_invariants();

-- Cancel every booking of a restaurant in one statement, while some of them wait for a retry
-- (a BEFORE ROW trigger that updated sibling rows made this statement fail).
SELECT count(*) AS waiting_for_a_retry FROM assignment_v3.bookings
WHERE restaurant_id = t_id('restaurant', 71) AND assignment_state = 'retry_scheduled';
CREATE TEMP TABLE before_cancel AS
SELECT id, assignment_state, assignment_version FROM assignment_v3.bookings WHERE restaurant_id = t_id('restaurant', 71);
UPDATE assignment_v3.bookings SET status = 'cancelled' WHERE restaurant_id = t_id('restaurant', 71);
SELECT assignment_state, count(*) FROM assignment_v3.bookings
WHERE restaurant_id = t_id('restaurant', 71) GROUP BY 1 ORDER BY 1;
SELECT count(*) AS tables_still_held FROM assignment_v3.table_assignments WHERE restaurant_id = t_id('restaurant', 71);
-- Exactly one transition event per cancelled booking, from the state it was in, version + 1.
SELECT count(*) AS cancelled, count(e.id) AS with_one_event,
       count(*) FILTER (WHERE e.context->>'from' = b.assignment_state
                          AND (e.context->>'version')::int = b.assignment_version + 1) AS matching
FROM before_cancel b
LEFT JOIN assignment_v3.observability_events e
  ON e.booking_id = b.id AND e.event_type = 'booking.assignment_state_transition'
 AND e.context->>'cause' = 'cancellation';

-- Cancelling some seated bookings wakes the restaurant's waiting retries, once: they are due now.
SELECT t_restaurant(72, 'Tiny Table') IS NOT NULL, t_table(72, 720, 'Only', 2) IS NOT NULL;
SELECT t_book(720, 72, 2, '19:00') IS NOT NULL, t_book(721, 72, 2, '19:00') IS NOT NULL,
       t_book(722, 72, 2, '19:00') IS NOT NULL, t_book(723, 72, 2, '22:00') IS NOT NULL;
SELECT * FROM t_process();
UPDATE assignment_v3.bookings SET status = 'cancelled'
WHERE id IN (t_id('booking', 720), t_id('booking', 723));
SELECT booking, state, next_attempt_at <= now() AS due_now FROM t_seating(72)
JOIN assignment_v3.bookings b ON t_short(b.id) = booking ORDER BY booking;
SELECT * FROM t_process();
SELECT booking, state, tables FROM t_seating(72);

-- Change the party size of several bookings at once: each back to created, its tables released.
SELECT t_restaurant(73, 'Resize House') IS NOT NULL;
SELECT t_table(73, 730, 'A2', 2) IS NOT NULL, t_table(73, 731, 'B4', 4) IS NOT NULL,
       t_table(73, 732, 'C4', 4) IS NOT NULL, t_table(73, 733, 'D6', 6) IS NOT NULL;
SELECT t_book(730, 73, 2, '19:00') IS NOT NULL, t_book(731, 73, 2, '19:00') IS NOT NULL,
       t_book(732, 73, 3, '19:00') IS NOT NULL, t_book(733, 73, 4, '19:00') IS NOT NULL;
SELECT * FROM t_process();
SELECT booking, party, state, version, tables FROM t_seating(73);
UPDATE assignment_v3.bookings SET party_size = party_size + 1 WHERE restaurant_id = t_id('restaurant', 73);
SELECT booking, party, state, version, last_reason, tables FROM t_seating(73);
SELECT t_short(booking_id) AS booking, context->>'from' AS from_state, context->>'to' AS to_state,
       context->>'reason' AS reason, context->>'version' AS version
FROM assignment_v3.observability_events
WHERE restaurant_id = t_id('restaurant', 73) AND event_type = 'booking.assignment_state_transition'
  AND context->>'cause' = 'modification'
ORDER BY 1;
SELECT t_due(730), t_due(731), t_due(732), t_due(733);
SELECT * FROM t_process();
SELECT booking, party, state, tables FROM t_seating(73);

-- Move the times of several bookings at once (two evenings later): the same.
UPDATE assignment_v3.bookings SET start_at = start_at + interval '2 days', end_at = end_at + interval '2 days'
WHERE restaurant_id = t_id('restaurant', 73) AND party_size >= 4;
SELECT booking, party, state, tables FROM t_seating(73);
SELECT t_due(732), t_due(733);
SELECT * FROM t_process();

-- A statement that changes some and cancels others.
UPDATE assignment_v3.bookings
SET status = CASE WHEN party_size = 3 THEN 'cancelled' ELSE status END,
    party_size = CASE WHEN party_size = 3 THEN party_size ELSE 2 END
WHERE restaurant_id = t_id('restaurant', 73);
SELECT booking, party, state, tables FROM t_seating(73);

-- Deleting bookings frees their tables (cascade) and wakes the restaurant's waiting retries.
SELECT t_restaurant(74, 'Delete Diner') IS NOT NULL, t_table(74, 740, 'D2', 2) IS NOT NULL;
SELECT t_book(740, 74, 2, '19:00') IS NOT NULL, t_book(741, 74, 2, '19:00') IS NOT NULL;
SELECT * FROM t_process();
DELETE FROM assignment_v3.bookings WHERE id = t_id('booking', 740);
SELECT booking, state, next_attempt_at <= now() AS due_now FROM t_seating(74)
JOIN assignment_v3.bookings b ON t_short(b.id) = booking;
SELECT * FROM t_process();
SELECT booking, state, tables FROM t_seating(74);
-- And thousands at once.
DELETE FROM assignment_v3.bookings WHERE restaurant_id = t_id('restaurant', 70);
SELECT count(*) AS left_at_70, (SELECT count(*) FROM assignment_v3.table_assignments
                                WHERE restaurant_id = t_id('restaurant', 70)) AS tables_held
FROM assignment_v3.bookings WHERE restaurant_id = t_id('restaurant', 70);

SELECT * FROM assignment_v3.check_invariants();
SELECT count(*) AS cancelled FROM assignment_v3.bookings b, assignment_v3.cancel_booking(b.id) c
WHERE b.status = 'pending' AND c;
