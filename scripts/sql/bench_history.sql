-- History for section 9 of scripts/bench: :history past bookings, confirmed, each with its
-- table assignment, over the tables of every restaurant, one evening seating per table and
-- day back from 2025 (a restaurant's last years). Loaded as a DBA would load them: the
-- extension's booking triggers off for the load (the caller turns them off and on again).
CREATE TEMP TABLE history_tables AS
    SELECT id, restaurant_id, capacity, (row_number() OVER (ORDER BY id) - 1)::int AS n
    FROM assignment_v3.restaurant_tables;
-- Each booking's id made as the booking's was, 30 days before it (:booking_ids: random, the
-- default of bookings.id, or time_ordered).
CREATE TEMP TABLE history AS
    SELECT CASE :'booking_ids' WHEN 'random' THEN gen_random_uuid()
                ELSE assignment_v3.uuid_v7(s.start_at - interval '30 days') END AS booking_id, s.*
    FROM (SELECT t.id AS table_id, t.restaurant_id, least(t.capacity, 2) AS party_size,
                 timestamptz '2024-01-01 19:00+00' + (g / c.tables) * interval '1 day' AS start_at
          FROM generate_series(0, :history - 1) g
          CROSS JOIN (SELECT count(*)::int AS tables FROM history_tables) c
          JOIN history_tables t ON t.n = g % c.tables) s;
INSERT INTO assignment_v3.bookings (id, restaurant_id, party_size, start_at, end_at, status, assignment_state,
                                    assignment_version, attempts, next_attempt_at, created_at, updated_at, queued_at)
SELECT booking_id, restaurant_id, party_size, start_at, start_at + interval '2 hours', 'confirmed', 'confirmed', 3, 1,
       start_at - interval '30 days', start_at - interval '30 days', start_at - interval '30 days', start_at - interval '30 days'
FROM history;
INSERT INTO assignment_v3.table_assignments (booking_id, table_id, restaurant_id, during, pipeline, created_at)
SELECT booking_id, table_id, restaurant_id, tstzrange(start_at, start_at + interval '2 hours 10 minutes'), 'v3',
       start_at - interval '30 days'
FROM history;
