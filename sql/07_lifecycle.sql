-- A booking's life after the first decision: modification (back to created, tables released),
-- cancellation (tables released, waiting retries of the restaurant due now), requeue out of
-- manual review, manual assignment (pipeline manual), assign_booking() on settled bookings,
-- and the guard that refuses state writes from anywhere else.
SET search_path = public;
SET assignment_v3.retry_backoff_base = '1h';
SET assignment_v3.retry_backoff_max = '1h';

SELECT t_restaurant(30, 'Life Cycle Bistro', turn_buffer => '10 minutes') IS NOT NULL;
SELECT t_table(30, 300, 'A4', 4) IS NOT NULL, t_table(30, 301, 'B4', 4) IS NOT NULL,
       t_table(30, 302, 'C8', 8) IS NOT NULL, t_table(30, 303, 'D4', 4) IS NOT NULL;
SELECT t_restaurant(31, 'Elsewhere') IS NOT NULL, t_table(31, 310, 'X4', 4) IS NOT NULL;

SELECT t_book(300, 30, 4, '19:00') IS NOT NULL, t_book(301, 30, 4, '19:00') IS NOT NULL,
       t_book(302, 30, 6, '19:00') IS NOT NULL;
SELECT * FROM t_process();
SELECT booking, state, version, tables FROM t_seating(30);

-- Modification: party of 4 becomes 7. Back to created, tables released, version bumped.
UPDATE assignment_v3.bookings SET party_size = 7 WHERE id = t_id('booking', 300);
SELECT booking, state, status, version, attempts, last_reason, tables FROM t_seating(30) WHERE booking = 'b300';
SELECT context FROM assignment_v3.observability_events
WHERE booking_id = t_id('booking', 300) AND event_type = 'booking.assignment_state_transition'
ORDER BY id DESC LIMIT 1;
-- Everything large enough is taken at 19:00 for 7 guests: it waits for a retry.
SELECT * FROM t_process();
SELECT event_type, context->>'trigger' AS trigger FROM t_events(300) WHERE event_type = 'coordinator.start';

-- Cancellation of the 6-top releases C8 and makes the waiting retry due now.
SELECT next_attempt_at > now() + interval '30 minutes' AS waiting_an_hour
FROM assignment_v3.bookings WHERE id = t_id('booking', 300);
SELECT assignment_v3.cancel_booking(t_id('booking', 302));
SELECT booking, state, status, tables FROM t_seating(30) WHERE booking = 'b302';
SELECT next_attempt_at <= now() AS due_now FROM assignment_v3.bookings WHERE id = t_id('booking', 300);
SELECT * FROM t_process();
SELECT booking, state, tables FROM t_seating(30) WHERE booking = 'b300';
-- Cancelling twice is harmless; an unknown booking is an error.
SELECT assignment_v3.cancel_booking(t_id('booking', 302));
SELECT assignment_v3.cancel_booking(t_id('booking', 399));
-- Applications may cancel with a plain UPDATE: same effect.
UPDATE assignment_v3.bookings SET status = 'cancelled' WHERE id = t_id('booking', 301);
SELECT booking, state, status, tables FROM t_seating(30) WHERE booking = 'b301';

-- assign_booking() on settled bookings does nothing, and says why.
SELECT outcome, reason, table_ids FROM assignment_v3.assign_booking(t_id('booking', 300));
SELECT outcome, reason FROM assignment_v3.assign_booking(t_id('booking', 302));
SELECT outcome, reason FROM assignment_v3.assign_booking(t_id('booking', 399));
SELECT outcome, reason FROM assignment_v3.assign_booking(t_id('booking', 300), pipeline => 'v4');

-- Manual review, then requeue: back to created, attempts reset, due now.
SELECT t_book(303, 30, 10, '12:00') IS NOT NULL;
SELECT * FROM t_process();
SELECT assignment_v3.requeue(t_id('booking', 303));
SELECT booking, state, attempts, last_reason FROM t_seating(30) WHERE booking = 'b303';
SELECT assignment_v3.requeue(t_id('booking', 303));   -- not in manual review any more
SELECT assignment_v3.requeue(t_id('booking', 399));
SELECT * FROM t_process();

-- Manual assignment seats what the coordinator would not: pipeline 'manual'.
SELECT assignment_v3.assign_manually(t_id('booking', 303), ARRAY[t_id('table', 300), t_id('table', 302)]);
-- ... refusing overlaps (saying with whom), tables of another restaurant, unknown, inactive or
-- repeated tables, too few seats, an empty list, a cancelled booking.
SELECT t_book(304, 30, 4, '12:30') IS NOT NULL;
SELECT assignment_v3.assign_manually(t_id('booking', 304), ARRAY[t_id('table', 300)]);
SELECT assignment_v3.assign_manually(t_id('booking', 304), ARRAY[t_id('table', 310)]);
SELECT assignment_v3.assign_manually(t_id('booking', 304), ARRAY[t_id('table', 399)]);
SELECT assignment_v3.assign_manually(t_id('booking', 304), ARRAY[]::uuid[]);
SELECT assignment_v3.assign_manually(t_id('booking', 304), NULL);
SELECT assignment_v3.assign_manually(t_id('booking', 304), ARRAY[t_id('table', 301), t_id('table', 301)]);
UPDATE assignment_v3.restaurant_tables SET active = false WHERE id = t_id('table', 303);
SELECT assignment_v3.assign_manually(t_id('booking', 304), ARRAY[t_id('table', 303)]);
UPDATE assignment_v3.restaurant_tables SET active = true WHERE id = t_id('table', 303);
SELECT assignment_v3.assign_manually(t_id('booking', 302), ARRAY[t_id('table', 301)]);
SELECT t_book(305, 30, 9, '15:00') IS NOT NULL;
SELECT assignment_v3.assign_manually(t_id('booking', 305), ARRAY[t_id('table', 302)]);
SELECT assignment_v3.assign_manually(t_id('booking', 304), ARRAY[t_id('table', 301)]);
-- Moving a seated party to other tables releases the old ones.
SELECT assignment_v3.assign_manually(t_id('booking', 304), ARRAY[t_id('table', 303)]);
SELECT booking, state, tables, pipeline FROM t_seating(30) WHERE booking IN ('b303', 'b304');
SELECT context - 'tables' AS context, jsonb_array_length(context->'tables') AS tables
FROM assignment_v3.observability_events
WHERE booking_id = t_id('booking', 303) AND event_type = 'booking.assignment_state_transition'
ORDER BY id DESC LIMIT 1;

-- The guard: state writes that skip the state machine are refused, with what to do instead.
UPDATE assignment_v3.bookings SET assignment_state = 'confirmed' WHERE id = t_id('booking', 305);
UPDATE assignment_v3.bookings SET status = 'confirmed' WHERE id = t_id('booking', 305);
UPDATE assignment_v3.bookings SET assignment_version = 99 WHERE id = t_id('booking', 305);
UPDATE assignment_v3.bookings SET attempts = 0, last_reason = NULL WHERE id = t_id('booking', 300);
UPDATE assignment_v3.bookings SET restaurant_id = t_id('restaurant', 31) WHERE id = t_id('booking', 305);
UPDATE assignment_v3.bookings SET party_size = 2 WHERE id = t_id('booking', 302);
UPDATE assignment_v3.bookings SET status = 'pending' WHERE id = t_id('booking', 302);
-- What applications may change freely: the zone preference and the schedule.
UPDATE assignment_v3.bookings SET zone_preference = 'window', next_attempt_at = now()
WHERE id = t_id('booking', 305);
SELECT booking, state, version FROM t_seating(30) WHERE booking = 'b305';

-- Nothing half-assigned, nothing double-booked, every outcome event matches its booking.
SELECT * FROM assignment_v3.check_invariants();
SELECT count(*) AS cancelled FROM assignment_v3.bookings b, assignment_v3.cancel_booking(b.id) c
WHERE b.status = 'pending' AND c;
