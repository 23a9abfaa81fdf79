-- :bookings bookings spread over the restaurants and 60 evenings (parties of 1-8, mostly 2-4),
-- so that nearly all can be seated: the benchmark measures throughput, not a full house.
SELECT setseed(0.7);
INSERT INTO assignment_v3.bookings (restaurant_id, party_size, start_at, end_at)
SELECT r.ids[1 + floor(random() * cardinality(r.ids))::int], 1 + floor(random() * random() * 8)::int, s.at,
       s.at + interval '2 hours'
FROM (SELECT array_agg(id ORDER BY id) AS ids FROM assignment_v3.restaurants) r,
     generate_series(1, :bookings) g,
     LATERAL (SELECT timestamptz '2031-01-01 17:00+00' + floor(random() * 60 + g * 0) * interval '1 day'
                     + floor(random() * 16) * interval '15 minutes' AS at) s;
