-- The rate limiter schedules instead of rejecting in a loop: 150 bookings of one restaurant
-- due at once, 100 invocations a second with a burst of 20. The first 20 are seated at once;
-- each of the other 130 is given its own slot, 10 ms after the previous one, and is seated when
-- it comes back: exactly one rate_limited retry per waiting booking, none for the others, and no
-- attempt charged for it. (The passes commit one by one: the limiter's schedule is shared, and
-- changes when the work that advanced it commits.)
SET search_path = public;
SET assignment_v3.restaurant_rate_limit = 100;
SET assignment_v3.restaurant_rate_burst = 20;

SELECT t_restaurant(90, 'Rate Limited Canteen') IS NOT NULL;
INSERT INTO assignment_v3.restaurant_tables (id, restaurant_id, label, capacity)
SELECT t_id('table', 9000 + g), t_id('restaurant', 90), 'T' || g, 4 FROM generate_series(1, 150) g;
INSERT INTO assignment_v3.bookings (id, restaurant_id, party_size, start_at, end_at, next_attempt_at)
SELECT t_id('booking', 9000 + g), t_id('restaurant', 90), 2, '2031-02-01 19:00+00', '2031-02-01 21:00+00',
       '2000-01-01'::timestamptz + g * interval '1 millisecond'
FROM generate_series(1, 150) g;

-- Passes until the restaurant's queue is empty (each pass in its own transaction), bounded.
CREATE PROCEDURE t_drain(restaurant integer, max_seconds integer) LANGUAGE plpgsql AS $$
DECLARE
    deadline timestamptz := clock_timestamp() + max_seconds * interval '1 second';
BEGIN
    LOOP
        PERFORM assignment_v3.process_pending(1000);
        COMMIT;
        EXIT WHEN NOT EXISTS (SELECT 1 FROM assignment_v3.bookings
                              WHERE restaurant_id = t_id('restaurant', restaurant)
                                AND assignment_state IN ('created', 'retry_scheduled'))
                  OR clock_timestamp() > deadline;
        PERFORM pg_sleep(0.01);
    END LOOP;
END $$;

-- The first pass: 20 seated, 130 given slots.
SELECT outcome, reason, count(*) FROM assignment_v3.process_pending(1000)
WHERE booking_id IN (SELECT id FROM assignment_v3.bookings WHERE restaurant_id = t_id('restaurant', 90))
GROUP BY 1, 2 ORDER BY 1, 2;
-- The slots are 10 ms apart, one per waiter, in due order.
SELECT count(*) AS waiting, count(DISTINCT next_attempt_at) AS distinct_slots,
       round(extract(epoch FROM max(next_attempt_at) - min(next_attempt_at))::numeric, 2) AS spread_s
FROM assignment_v3.bookings WHERE restaurant_id = t_id('restaurant', 90) AND last_reason = 'rate_limited';

CALL t_drain(90, 60);
SELECT assignment_state, count(*) FROM assignment_v3.bookings
WHERE restaurant_id = t_id('restaurant', 90) GROUP BY 1;
-- One rate_limited retry per waiting booking, and the seating counted as the first attempt.
SELECT rate_limited_retries, count(*) AS bookings FROM (
    SELECT b.id, count(e.id) AS rate_limited_retries
    FROM assignment_v3.bookings b
    LEFT JOIN assignment_v3.observability_events e
      ON e.booking_id = b.id AND e.event_type = 'coordinator.retry' AND e.context->>'reason' = 'rate_limited'
    WHERE b.restaurant_id = t_id('restaurant', 90)
    GROUP BY b.id) s
GROUP BY 1 ORDER BY 1;
SELECT DISTINCT context->>'attempts' AS attempts_when_seated FROM assignment_v3.observability_events
WHERE restaurant_id = t_id('restaurant', 90) AND event_type = 'coordinator.confirmed';
SELECT * FROM assignment_v3.check_invariants();
