-- Retries: exponential backoff with jitter up to max_retries, then manual review
-- (retries_exhausted); the covers cap checked before the fit (capacity_exceeded); the
-- per-restaurant rate limit (rate_limited, which does not use up the retry budget).
SET search_path = public;
SET assignment_v3.max_retries = 2;
SET assignment_v3.retry_backoff_base = '10s';
SET assignment_v3.retry_backoff_max = '15s';

SELECT t_restaurant(10, 'Tiny Bar') IS NOT NULL;
SELECT t_table(10, 100, 'S2', 2) IS NOT NULL;
SELECT t_book(100, 10, 2, '20:00') IS NOT NULL;   -- takes the only table
SELECT t_book(101, 10, 2, '20:30') IS NOT NULL;   -- overlaps: waits for a table
SELECT * FROM t_process();

-- Attempt 1 failed: retry in [base/2, base] = [5 s, 10 s], deterministic for this booking.
SELECT assignment_state, attempts, last_reason,
       next_attempt_at - now() BETWEEN interval '4 seconds' AND interval '10 seconds' AS due_in_5_to_10s
FROM assignment_v3.bookings WHERE id = t_id('booking', 101);
SELECT (context->>'delay_ms')::int BETWEEN 5000 AND 10000 AS delay_in_range,
       context->>'reason' AS reason, context->>'attempts' AS attempts, context->>'max_retries' AS max_retries
FROM assignment_v3.observability_events
WHERE booking_id = t_id('booking', 101) AND event_type = 'coordinator.retry';

-- Not due yet: nothing to claim.
SELECT * FROM t_process();

-- Time passes (the booking becomes due): attempt 2, backoff doubled but capped at 15 s.
SELECT t_due(101);
SELECT * FROM t_process();
SELECT (context->>'delay_ms')::int BETWEEN 7500 AND 15000 AS capped_delay_in_range
FROM assignment_v3.observability_events
WHERE booking_id = t_id('booking', 101) AND event_type = 'coordinator.retry' ORDER BY id DESC LIMIT 1;

-- Attempt 3 = max_retries + 1: manual review.
SELECT t_due(101);
SELECT * FROM t_process();
SELECT booking, state, attempts, last_reason FROM t_seating(10) WHERE booking = 'b101';
SELECT event_type, context FROM t_events(101);

-- A booking in manual review is not claimed again, whatever its next_attempt_at.
SELECT t_due(101);
SELECT * FROM t_process();

-- Covers cap: at most 5 guests seated at any instant, checked before the fit.
SELECT t_restaurant(11, 'Capped Cafe', max_covers => 5) IS NOT NULL;
SELECT t_table(11, 110, 'K4', 4) IS NOT NULL, t_table(11, 111, 'L4', 4) IS NOT NULL;
SELECT t_book(110, 11, 4, '19:00') IS NOT NULL;
SELECT t_book(111, 11, 2, '20:00') IS NOT NULL;               -- 4 + 2 > 5 at 20:00
SELECT t_book(112, 11, 1, '20:00') IS NOT NULL;               -- 4 + 1 = 5: fits
SELECT t_book(113, 11, 2, '21:00', duration => '1 hour') IS NOT NULL;  -- after the 4 leave
SELECT * FROM t_process();
SELECT booking, state, last_reason, tables FROM t_seating(11);
-- capacity_exceeded comes straight from created: the capacity was never verified.
SELECT event_type, context FROM t_events(111);

-- Rate limit: 1 invocation per second, a burst of 2. Three due bookings of one restaurant:
-- two run, the third is rate limited for about a second and keeps its retry budget.
SET assignment_v3.restaurant_rate_limit = 1;
SET assignment_v3.restaurant_rate_burst = 2;
SELECT t_restaurant(12, 'Busy Diner') IS NOT NULL;
SELECT t_table(12, 120, 'M4', 4) IS NOT NULL, t_table(12, 121, 'N4', 4) IS NOT NULL,
       t_table(12, 122, 'O4', 4) IS NOT NULL;
SELECT t_book(120, 12, 2, '19:00') IS NOT NULL, t_book(121, 12, 2, '19:00') IS NOT NULL,
       t_book(122, 12, 2, '19:00') IS NOT NULL;
SELECT * FROM t_process();
SELECT booking, state, attempts, last_reason FROM t_seating(12);
SELECT (context->>'delay_ms')::int BETWEEN 1 AND 1000 AS waits_at_most_a_second, context->>'reason' AS reason
FROM assignment_v3.observability_events
WHERE booking_id = t_id('booking', 122) AND event_type = 'coordinator.retry';
SELECT next_attempt_at > now() AND next_attempt_at <= now() + interval '1 second' AS due_within_a_second
FROM assignment_v3.bookings WHERE id = t_id('booking', 122);
-- Once a token is back (after a second), it is seated.
SELECT pg_sleep(1.1);
SELECT t_due(122);
SELECT * FROM t_process();
RESET assignment_v3.restaurant_rate_limit;
RESET assignment_v3.restaurant_rate_burst;

SELECT * FROM assignment_v3.check_invariants();

-- Later tests see only their own bookings: cancel what still waits.
SELECT count(*) AS cancelled FROM assignment_v3.bookings b, assignment_v3.cancel_booking(b.id) c
WHERE b.status = 'pending' AND c;
