-- Booking ids (src/core/uuid_v7.hpp): assignment_v3.uuid_v7() makes time-ordered uuids
-- (version 7) for applications that want new bookings at the right edge of the indexes keyed
-- by booking id; bookings.id keeps gen_random_uuid() as its default, and any uuid an
-- application sends is taken as it is.
SET search_path = public;
SET assignment_v3.restaurant_rate_limit = 0;

SELECT t_restaurant(180, 'Ordered Ids') IS NOT NULL;
SELECT t_table(180, 1800, 'T1', 4) IS NOT NULL;

-- The milliseconds since the epoch that a version 7 id holds in its first 48 bits.
CREATE FUNCTION t_id_ms(id uuid) RETURNS bigint LANGUAGE sql IMMUTABLE AS $$
    SELECT ('x' || substr(replace(id::text, '-', ''), 1, 12))::bit(48)::bigint
$$;

-- A statement over many rows with time-ordered ids: each gets a version 7 id (version nibble
-- 7, variant 10), all distinct, of a time between the statement's start and its end.
CREATE TEMP TABLE window_start AS SELECT floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint AS ms;
INSERT INTO assignment_v3.bookings (id, restaurant_id, party_size, start_at, end_at, next_attempt_at)
SELECT assignment_v3.uuid_v7(), t_id('restaurant', 180), 2, timestamptz '2031-03-01 19:00+00' + g * interval '1 day',
       timestamptz '2031-03-01 21:00+00' + g * interval '1 day', '2100-01-01'
FROM generate_series(1, 500) g;
SELECT count(*) AS bookings, count(DISTINCT id) AS distinct_ids,
       count(*) FILTER (WHERE substr(id::text, 15, 1) = '7') AS version_7,
       count(*) FILTER (WHERE substr(id::text, 20, 1) IN ('8', '9', 'a', 'b')) AS variant_10,
       count(*) FILTER (WHERE t_id_ms(id) BETWEEN (SELECT ms FROM window_start)
                                              AND ceil(extract(epoch FROM clock_timestamp()) * 1000)::bigint) AS in_window
FROM assignment_v3.bookings WHERE restaurant_id = t_id('restaurant', 180);

-- Ids made one after the other in a session sort in that order, even within a microsecond.
SELECT bool_and(a < b) AS in_order
FROM (SELECT lag(id) OVER (ORDER BY n) AS a, id AS b
      FROM (SELECT n, assignment_v3.uuid_v7() AS id FROM generate_series(1, 2000) n) s) t
WHERE a IS NOT NULL;

-- A booking made later sorts after every one made before it.
SELECT pg_sleep(0.002);
INSERT INTO assignment_v3.bookings (id, restaurant_id, party_size, start_at, end_at, next_attempt_at)
VALUES (assignment_v3.uuid_v7(), t_id('restaurant', 180), 2, '2031-06-01 19:00+00', '2031-06-01 21:00+00', '2100-01-01');
SELECT count(*) AS made_before_sorting_after
FROM assignment_v3.bookings b
WHERE restaurant_id = t_id('restaurant', 180) AND start_at < '2031-06-01'
  AND b.id > (SELECT id FROM assignment_v3.bookings WHERE start_at = '2031-06-01 19:00+00');

-- An application's own ids are kept as sent; without one, the default is a random uuid.
INSERT INTO assignment_v3.bookings (id, restaurant_id, party_size, start_at, end_at, next_attempt_at)
VALUES (t_id('booking', 1801), t_id('restaurant', 180), 2, '2031-07-01 19:00+00', '2031-07-01 21:00+00', '2100-01-01');
INSERT INTO assignment_v3.bookings (restaurant_id, party_size, start_at, end_at, next_attempt_at)
VALUES (t_id('restaurant', 180), 2, '2031-07-02 19:00+00', '2031-07-02 21:00+00', '2100-01-01');
SELECT count(*) FILTER (WHERE id = t_id('booking', 1801)) AS kept,
       count(*) FILTER (WHERE substr(id::text, 15, 1) = '4') AS default_random
FROM assignment_v3.bookings WHERE start_at >= '2031-07-01' AND restaurant_id = t_id('restaurant', 180);

-- uuid_v7(at): a given time's id (a migration's past bookings); the time is in its first bits,
-- to the microsecond in the next twelve.
SELECT left(assignment_v3.uuid_v7('2026-12-05 20:00:00.123456+00')::text, 19) AS prefix;
SELECT assignment_v3.uuid_v7('2024-01-01 00:00+00') < assignment_v3.uuid_v7('2024-01-01 00:00:00.000001+00') AS ordered;
SELECT assignment_v3.uuid_v7(NULL) IS NULL AS strict;
-- Times it cannot hold.
SELECT assignment_v3.uuid_v7('1969-12-31 23:59:59+00');
SELECT assignment_v3.uuid_v7('infinity');

-- Everyone may make them, as gen_random_uuid().
SELECT has_function_privilege('public', 'assignment_v3.uuid_v7()', 'EXECUTE') AS public_now,
       has_function_privilege('public', 'assignment_v3.uuid_v7(timestamptz)', 'EXECUTE') AS public_at;

DELETE FROM assignment_v3.bookings WHERE restaurant_id = t_id('restaurant', 180);
DROP FUNCTION t_id_ms(uuid);
