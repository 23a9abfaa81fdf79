-- Benchmark data: :restaurants restaurants of 20 tables (2 to 8 seats, two zones, rows of
-- adjacent tables) and nothing else. Bookings come from bench_bookings.sql.
INSERT INTO assignment_v3.restaurants (name, turn_buffer)
SELECT 'Bench ' || lpad(r::text, 3, '0'), interval '10 minutes' FROM generate_series(1, :restaurants) r;
INSERT INTO assignment_v3.restaurant_tables (restaurant_id, label, capacity, zone)
SELECT r.id, 'T' || lpad(t::text, 2, '0'), (ARRAY[2, 2, 4, 4, 4, 6, 8, 2, 4, 6])[1 + t % 10],
       CASE WHEN t <= 12 THEN 'main' ELSE 'terrace' END
FROM assignment_v3.restaurants r, generate_series(1, 20) t;
INSERT INTO assignment_v3.table_adjacency
SELECT a.restaurant_id, a.id, b.id FROM assignment_v3.restaurant_tables a
JOIN assignment_v3.restaurant_tables b ON b.restaurant_id = a.restaurant_id AND b.zone = a.zone
 AND substr(b.label, 2)::int = substr(a.label, 2)::int + 1;
