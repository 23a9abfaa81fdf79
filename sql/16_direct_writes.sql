-- The extension writes the bookings it decides and their seatings without statements
-- (src/pg/booking_update.hpp, src/pg/assignment_insert.hpp), and hands them to UPDATE and
-- INSERT wherever those would do something it does not: a rule, a booking this transaction
-- made itself (a foreign key's check fires for it on any update).
SET search_path = public;
SET assignment_v3.retry_backoff_base = '1h';
SET assignment_v3.retry_backoff_max = '1h';
SET assignment_v3.restaurant_rate_limit = 0;

SELECT t_restaurant(160, 'Direct Diner') IS NOT NULL;
INSERT INTO assignment_v3.restaurant_tables (id, restaurant_id, label, capacity)
SELECT t_id('table', 1600 + g), t_id('restaurant', 160), 'T' || g, 4 FROM generate_series(1, 6) g;

-- Inserted and decided in one transaction: the rows this transaction made go through UPDATE.
BEGIN;
INSERT INTO assignment_v3.bookings (id, restaurant_id, party_size, start_at, end_at, next_attempt_at)
SELECT t_id('booking', 1600 + g), t_id('restaurant', 160), 2,
       timestamptz '2031-03-01 19:00+00' + g * interval '1 day', timestamptz '2031-03-01 21:00+00' + g * interval '1 day',
       '2000-01-01'
FROM generate_series(1, 3) g;
SELECT outcome, count(*) FROM assignment_v3.process_pending() GROUP BY 1 ORDER BY 1;
COMMIT;
SELECT assignment_state, count(*) FROM assignment_v3.bookings WHERE restaurant_id = t_id('restaurant', 160) GROUP BY 1;

-- A key of the DBA's own, checked at commit: a booking of a customer that does not exist,
-- inserted and decided in one transaction, is refused when it commits (written directly, the
-- decision would have left no check behind for the booking's new version).
CREATE TABLE public.customers (id integer PRIMARY KEY);
ALTER TABLE assignment_v3.bookings ADD COLUMN customer_id integer
    REFERENCES public.customers DEFERRABLE INITIALLY DEFERRED;
BEGIN;
INSERT INTO assignment_v3.bookings (id, restaurant_id, party_size, start_at, end_at, next_attempt_at, customer_id)
VALUES (t_id('booking', 1610), t_id('restaurant', 160), 2, '2031-03-10 19:00+00', '2031-03-10 21:00+00', '2000-01-01', 42);
SELECT outcome, count(*) FROM assignment_v3.process_pending() GROUP BY 1 ORDER BY 1;
COMMIT;
SELECT count(*) AS bookings_of_missing_customers FROM assignment_v3.bookings b
WHERE b.customer_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM public.customers c WHERE c.id = b.customer_id);
ALTER TABLE assignment_v3.bookings DROP COLUMN customer_id;
DROP TABLE public.customers;

-- A DBA's rules on both tables: the statements that apply them write the rows.
CREATE TABLE public.seen_writes (what text NOT NULL, id uuid NOT NULL);
CREATE RULE note_seatings AS ON INSERT TO assignment_v3.table_assignments
    DO ALSO INSERT INTO public.seen_writes VALUES ('seating', NEW.booking_id);
CREATE RULE note_decisions AS ON UPDATE TO assignment_v3.bookings
    DO ALSO INSERT INTO public.seen_writes VALUES ('decision', NEW.id);
INSERT INTO assignment_v3.bookings (id, restaurant_id, party_size, start_at, end_at, next_attempt_at)
SELECT t_id('booking', 1620 + g), t_id('restaurant', 160), 2,
       timestamptz '2031-03-20 19:00+00' + g * interval '1 day', timestamptz '2031-03-20 21:00+00' + g * interval '1 day',
       '2000-01-01'
FROM generate_series(1, 4) g;
SELECT outcome, count(*) FROM assignment_v3.process_pending() GROUP BY 1 ORDER BY 1;
SELECT what, count(DISTINCT id) FROM public.seen_writes GROUP BY 1 ORDER BY 1;
DROP RULE note_seatings ON assignment_v3.table_assignments;
DROP RULE note_decisions ON assignment_v3.bookings;
DROP TABLE public.seen_writes;
SELECT * FROM assignment_v3.check_invariants();
