-- Settled seatings (src/pg/settled_seatings.hpp): seatings that ended more than
-- assignment_v3.settle_after ago leave the exclusion constraint's index; a seating that starts
-- before the settle horizon is checked against them, so no table is double-booked in the past
-- either; a settled seating keeps its table and time.
SET search_path = public;
SET assignment_v3.restaurant_rate_limit = 0;

SELECT t_restaurant(170, 'Settled Grill') IS NOT NULL;
SELECT count(t_table(170, 1700 + g, 'T' || g, 4)) FROM generate_series(1, 4) g;

-- Twenty evenings of 2020, four parties each, seated by hand at the four tables (one
-- statement over eighty bookings), and one evening to come.
INSERT INTO assignment_v3.bookings (id, restaurant_id, party_size, start_at, end_at, next_attempt_at)
SELECT t_id('booking', 1700 + 4 * d + t), t_id('restaurant', 170), 2,
       timestamptz '2020-03-01 19:00+00' + d * interval '1 day', timestamptz '2020-03-01 21:00+00' + d * interval '1 day',
       '2100-01-01'
FROM generate_series(0, 19) d, generate_series(1, 4) t;
SELECT count(*) FILTER (WHERE assignment_v3.assign_manually(t_id('booking', 1700 + 4 * d + t),
                                                           ARRAY[t_id('table', 1700 + t)]) IS NOT NULL) AS seated
FROM generate_series(0, 19) d, generate_series(1, 4) t;
INSERT INTO assignment_v3.bookings (id, restaurant_id, party_size, start_at, end_at, next_attempt_at)
VALUES (t_id('booking', 1799), t_id('restaurant', 170), 2, '2035-03-01 19:00+00', '2035-03-01 21:00+00', '2100-01-01');
SELECT assignment_v3.assign_manually(t_id('booking', 1799), ARRAY[t_id('table', 1701)]) IS NOT NULL AS seated;

-- 0 never settles.
SET assignment_v3.settle_after = 0;
SELECT assignment_v3.settle_seatings() AS settled;
SET assignment_v3.settle_after = '1d';
-- A batch must be at least one seating.
SELECT assignment_v3.settle_seatings(0);

-- In batches: 50, then the other 30; the seating to come stays unsettled.
SELECT assignment_v3.settle_seatings(50) AS settled;
SELECT assignment_v3.settle_seatings(50) AS settled;
SELECT assignment_v3.settle_seatings(50) AS settled;
SELECT settled, count(*) FROM assignment_v3.table_assignments WHERE restaurant_id = t_id('restaurant', 170)
GROUP BY 1 ORDER BY 1;
SELECT horizon <= now() - interval '1 day' AS horizon_a_day_back, horizon > '2020-03-21' AS horizon_past_the_seatings
FROM assignment_v3_internal.settled_horizon;

-- The constraint's index holds the unsettled seatings only (counted by VACUUM, which also
-- removes the entries of the settled rows' old versions).
VACUUM assignment_v3.table_assignments;
SELECT i.reltuples = (SELECT count(*) FROM assignment_v3.table_assignments WHERE NOT settled) AS index_holds_the_unsettled,
       (SELECT count(*) FROM assignment_v3.table_assignments WHERE settled) AS settled
FROM pg_class i WHERE i.relname = 'table_assignments_no_double_booking';

-- A statement of several past seatings, one of them over a settled seating (T1 on the first
-- evening): refused whole, with the seating it meets; nothing is written.
INSERT INTO assignment_v3.bookings (id, restaurant_id, party_size, start_at, end_at, next_attempt_at)
SELECT t_id('booking', 1790 + g), t_id('restaurant', 170), 2,
       timestamptz '2020-03-01 21:00+00' + g * interval '1 hour', timestamptz '2020-03-01 22:00+00' + g * interval '1 hour',
       '2100-01-01'
FROM generate_series(0, 3) g;
INSERT INTO assignment_v3.table_assignments (booking_id, table_id, restaurant_id, during, pipeline)
SELECT t_id('booking', 1790 + g), t_id('table', 1701), t_id('restaurant', 170),
       tstzrange(timestamptz '2020-03-01 20:00+00' + g * interval '1 hour', timestamptz '2020-03-01 21:00+00' + g * interval '1 hour'),
       'manual'
FROM generate_series(0, 3) g;
SELECT count(*) AS seatings FROM assignment_v3.table_assignments WHERE restaurant_id = t_id('restaurant', 170);

-- The same seatings an hour later, after the settled seating ends: let in, unsettled, even
-- where it says settled (rows come in unsettled; a pass settles them).
INSERT INTO assignment_v3.table_assignments (booking_id, table_id, restaurant_id, during, pipeline, settled)
SELECT t_id('booking', 1790 + g), t_id('table', 1701), t_id('restaurant', 170),
       tstzrange(timestamptz '2020-03-01 21:00+00' + g * interval '1 hour', timestamptz '2020-03-01 22:00+00' + g * interval '1 hour'),
       'manual', true
FROM generate_series(0, 3) g;
SELECT settled, count(*) FROM assignment_v3.table_assignments WHERE restaurant_id = t_id('restaurant', 170)
GROUP BY 1 ORDER BY 1;
SELECT assignment_v3.settle_seatings() AS settled;
-- The bookings of those seatings: theirs now (they came in as a DBA's import would).
UPDATE assignment_v3.bookings SET status = 'cancelled' WHERE id IN (SELECT t_id('booking', 1790 + g) FROM generate_series(0, 3) g);

-- A settled seating keeps its table and time; only the pass settles; settled stays settled.
UPDATE assignment_v3.table_assignments SET during = tstzrange(lower(during) + interval '1 hour', upper(during) + interval '1 hour')
WHERE booking_id = t_id('booking', 1701);
UPDATE assignment_v3.table_assignments SET table_id = t_id('table', 1702) WHERE booking_id = t_id('booking', 1701);
UPDATE assignment_v3.table_assignments SET settled = false WHERE restaurant_id = t_id('restaurant', 170);
UPDATE assignment_v3.table_assignments SET settled = true WHERE booking_id = t_id('booking', 1799);
-- What is not its table or time may change (here by a superuser: who seated it).
UPDATE assignment_v3.table_assignments SET pipeline = 'legacy' WHERE booking_id = t_id('booking', 1701);
SELECT pipeline, settled FROM assignment_v3.table_assignments WHERE booking_id = t_id('booking', 1701);

-- Moving an unsettled seating into a settled one's time is refused like an insert.
UPDATE assignment_v3.table_assignments SET during = tstzrange('2020-03-02 20:00+00', '2020-03-02 22:00+00')
WHERE booking_id = t_id('booking', 1799);

-- Cancelling past bookings in one statement releases their settled seatings.
UPDATE assignment_v3.bookings SET status = 'cancelled'
WHERE id IN (SELECT t_id('booking', 1700 + g) FROM generate_series(13, 16) g);
SELECT count(*) AS seatings_of_the_cancelled FROM assignment_v3.table_assignments
WHERE booking_id IN (SELECT t_id('booking', 1700 + g) FROM generate_series(13, 16) g);

-- Correcting the past: delete a settled seating and insert the corrected one, over another
-- settled seating (refused) or where the table is free (let in).
DELETE FROM assignment_v3.table_assignments WHERE booking_id = t_id('booking', 1709);
INSERT INTO assignment_v3.table_assignments (booking_id, table_id, restaurant_id, during, pipeline)
VALUES (t_id('booking', 1709), t_id('table', 1702), t_id('restaurant', 170), '[2020-03-03 19:00+00, 2020-03-03 21:00+00)', 'manual');
INSERT INTO assignment_v3.table_assignments (booking_id, table_id, restaurant_id, during, pipeline)
VALUES (t_id('booking', 1709), t_id('table', 1701), t_id('restaurant', 170), '[2020-03-03 19:30+00, 2020-03-03 21:00+00)', 'manual');
SELECT settled, count(*) FROM assignment_v3.table_assignments WHERE restaurant_id = t_id('restaurant', 170)
GROUP BY 1 ORDER BY 1;

-- An operator seating a past booking over a settled seating is told which booking holds the
-- table (assign_manually() looks among the settled seatings too); nothing is written.
INSERT INTO assignment_v3.bookings (id, restaurant_id, party_size, start_at, end_at, next_attempt_at)
VALUES (t_id('booking', 1798), t_id('restaurant', 170), 2, '2020-03-02 20:00+00', '2020-03-02 21:00+00', '2100-01-01');
SELECT assignment_v3.assign_manually(t_id('booking', 1798), ARRAY[t_id('table', 1701)]);
SELECT assignment_state, count(a.*) AS seatings FROM assignment_v3.bookings b
LEFT JOIN assignment_v3.table_assignments a ON a.booking_id = b.id
WHERE b.id = t_id('booking', 1798) GROUP BY 1;

-- The legacy planner, for a booking that started before the settle horizon (queued before its
-- start, still waiting: a backlog, a short settle_after): T1 is held by a settled seating, so
-- the first free table is T2, not T1 refused at every attempt.
SELECT t_restaurant(171, 'Settled Diner') IS NOT NULL;
SELECT t_table(171, 1711, 'T1', 4) IS NOT NULL, t_table(171, 1712, 'T2', 4) IS NOT NULL;
INSERT INTO assignment_v3.bookings (id, restaurant_id, party_size, start_at, end_at, next_attempt_at, queued_at)
VALUES (t_id('booking', 1781), t_id('restaurant', 171), 2, now() - interval '3 hours', now() - interval '2 hours', '2100-01-01', now() - interval '4 hours'),
       (t_id('booking', 1782), t_id('restaurant', 171), 2, now() - interval '150 minutes', now() + interval '1 hour', '2100-01-01', now() - interval '4 hours');
SELECT assignment_v3.assign_manually(t_id('booking', 1781), ARRAY[t_id('table', 1711)]) IS NOT NULL AS seated;
SET assignment_v3.settle_after = '1min';
SELECT assignment_v3.settle_seatings() AS settled;
SELECT settled FROM assignment_v3.table_assignments WHERE booking_id = t_id('booking', 1781);
SELECT outcome, reason, t_short(table_ids[1]) AS table_id, pipeline
FROM assignment_v3.assign_booking(t_id('booking', 1782), pipeline => 'legacy');
-- Another such booking at the same time: T1 held by the settled seating, T2 by 1782: no table.
INSERT INTO assignment_v3.bookings (id, restaurant_id, party_size, start_at, end_at, next_attempt_at, queued_at)
VALUES (t_id('booking', 1783), t_id('restaurant', 171), 2, now() - interval '150 minutes', now() + interval '1 hour', '2100-01-01', now() - interval '4 hours');
SELECT outcome, reason, cardinality(table_ids) AS tables, pipeline
FROM assignment_v3.assign_booking(t_id('booking', 1783), pipeline => 'legacy');
RESET assignment_v3.settle_after;

-- No table double-booked, settled or not.
SELECT invariant, detail FROM assignment_v3.check_invariants();
SELECT count(*) AS overlapping_pairs
FROM assignment_v3.table_assignments a JOIN assignment_v3.table_assignments b
  ON a.table_id = b.table_id AND a.ctid < b.ctid AND a.during && b.during;
