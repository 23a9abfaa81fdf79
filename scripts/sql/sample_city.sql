-- A sample city: :restaurants restaurants with zones, tables of 2/4/6/8 seats pushed together in
-- rows, and :bookings bookings over one evening (realistic party sizes and arrival times, some
-- parties too large). Deterministic: setseed() fixes the random choices.
SELECT setseed(0.42);

INSERT INTO assignment_v3.restaurants (name, turn_buffer, max_covers_per_slot)
SELECT format('Restaurant %s', r), (ARRAY['0', '10 minutes', '15 minutes'])[1 + r % 3]::interval,
       CASE WHEN r % 7 = 0 THEN 60 END
FROM generate_series(1, :restaurants) r;

-- 12 to 30 tables each, in two or three zones; within a zone, consecutive tables touch.
INSERT INTO assignment_v3.restaurant_tables (restaurant_id, label, capacity, zone, min_party)
SELECT r.id, format('%s%s', left(z.zone, 1), t),
       (ARRAY[2, 2, 4, 4, 4, 6, 8])[1 + (t * 3 + r.n) % 7],
       z.zone,
       CASE WHEN (ARRAY[2, 2, 4, 4, 4, 6, 8])[1 + (t * 3 + r.n) % 7] = 8 THEN 4 ELSE 1 END
FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM assignment_v3.restaurants) r
CROSS JOIN LATERAL (SELECT unnest(ARRAY['main', 'terrace', 'bar']) AS zone LIMIT 2 + (r.n % 2)::int) z
CROSS JOIN LATERAL generate_series(1, 6 + (r.n % 5)::int * 2) t;

INSERT INTO assignment_v3.table_adjacency (restaurant_id, table_a, table_b)
SELECT a.restaurant_id, a.id, b.id
FROM assignment_v3.restaurant_tables a
JOIN assignment_v3.restaurant_tables b
  ON b.restaurant_id = a.restaurant_id AND b.zone = a.zone
 AND substr(b.label, 2)::int = substr(a.label, 2)::int + 1;

-- An evening: arrivals between 17:30 and 22:00 in quarter hours, peaking at 19:30; parties of
-- 2 most often, sometimes 3-6, rarely 7-12, and now and then a party no restaurant can seat.
INSERT INTO assignment_v3.bookings (restaurant_id, party_size, start_at, end_at, zone_preference)
SELECT r.id, p.size, s.start_at, s.start_at + (interval '90 minutes' + (p.size / 4) * interval '30 minutes'),
       CASE WHEN random() < 0.2 THEN 'terrace' END
FROM generate_series(1, :bookings) g
CROSS JOIN LATERAL (SELECT id FROM assignment_v3.restaurants ORDER BY random() + g * 0 LIMIT 1) r
CROSS JOIN LATERAL (SELECT CASE
        WHEN x < 0.45 THEN 2 WHEN x < 0.60 THEN 3 WHEN x < 0.80 THEN 4 WHEN x < 0.88 THEN 5
        WHEN x < 0.94 THEN 6 WHEN x < 0.985 THEN 7 + (x * 1000)::int % 6 ELSE 40 END AS size
    FROM (SELECT random() + g * 0 AS x) v) p
CROSS JOIN LATERAL (SELECT (date '2030-06-01' + time '17:30'
        + (least(17, greatest(0, round(8 + 3 * (random() + random() + random() - 1.5) + g * 0))))
          * interval '15 minutes') AT TIME ZONE 'UTC' AS start_at) s;
