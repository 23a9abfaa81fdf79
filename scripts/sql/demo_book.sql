-- pgbench script of scripts/demo: a guest books one of the next 14 evenings at a random
-- restaurant of the sample city (parties of 2 most often, now and then one too large to seat).
\set r random(0, 49)
\set day random(1, 14)
\set slot random(0, 17)
\set p random(1, 100)
INSERT INTO assignment_v3.bookings (restaurant_id, party_size, start_at, end_at)
SELECT id, CASE WHEN :p <= 45 THEN 2 WHEN :p <= 75 THEN 3 + :p % 2 WHEN :p <= 97 THEN 5 + :p % 3 ELSE 40 END,
       date_trunc('day', now()) + :day * interval '1 day' + interval '17 hours 30 minutes' + :slot * interval '15 minutes',
       date_trunc('day', now()) + :day * interval '1 day' + interval '19 hours 30 minutes' + :slot * interval '15 minutes'
FROM assignment_v3.restaurants ORDER BY name OFFSET :r LIMIT 1;
