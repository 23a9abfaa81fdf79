-- Every constraint refuses its bad row with a message that names the rule.
SET search_path = assignment_v3, public;
-- Rows with generated ids and timestamps: the error line alone (its DETAIL repeats the row).
\set VERBOSITY terse

INSERT INTO restaurants (id, name) VALUES ('11111111-0000-0000-0000-000000000001', 'Constraint Bistro');
INSERT INTO restaurants (id, name) VALUES ('11111111-0000-0000-0000-000000000002', 'Other Place');

-- restaurants
INSERT INTO restaurants (name) VALUES ('   ');
INSERT INTO restaurants (name, timezone) VALUES ('Tz', 'Mars/Olympus_Mons');
INSERT INTO restaurants (name, turn_buffer) VALUES ('Buffer', '-5 minutes');
INSERT INTO restaurants (name, turn_buffer) VALUES ('Buffer', '5 hours');
INSERT INTO restaurants (name, max_covers_per_slot) VALUES ('Covers', 0);
INSERT INTO restaurants (name) VALUES (NULL);

-- restaurant_tables
INSERT INTO restaurant_tables (id, restaurant_id, label, capacity, zone) VALUES
    ('22222222-0000-0000-0000-000000000001', '11111111-0000-0000-0000-000000000001', 'T1', 4, 'main'),
    ('22222222-0000-0000-0000-000000000002', '11111111-0000-0000-0000-000000000001', 'T2', 4, 'main'),
    ('22222222-0000-0000-0000-000000000003', '11111111-0000-0000-0000-000000000001', 'P1', 2, 'patio'),
    ('22222222-0000-0000-0000-000000000009', '11111111-0000-0000-0000-000000000002', 'X1', 2, 'main');
INSERT INTO restaurant_tables (restaurant_id, label, capacity) VALUES ('11111111-0000-0000-0000-000000000001', 'T1', 2);
INSERT INTO restaurant_tables (restaurant_id, label, capacity) VALUES ('11111111-0000-0000-0000-000000000001', 'T3', 0);
INSERT INTO restaurant_tables (restaurant_id, label, capacity) VALUES ('11111111-0000-0000-0000-000000000001', 'T3', 101);
INSERT INTO restaurant_tables (restaurant_id, label, capacity, min_party) VALUES ('11111111-0000-0000-0000-000000000001', 'T3', 2, 3);
INSERT INTO restaurant_tables (restaurant_id, label, capacity, zone) VALUES ('11111111-0000-0000-0000-000000000001', 'T3', 2, '');
INSERT INTO restaurant_tables (restaurant_id, label, capacity) VALUES ('11111111-0000-0000-0000-00000000dead', 'T3', 2);

-- From here on the details are deterministic, and part of what is tested.
\set VERBOSITY default

-- table_adjacency: stored once whatever the order; never to itself, across zones, restaurants
INSERT INTO table_adjacency VALUES ('11111111-0000-0000-0000-000000000001',
    '22222222-0000-0000-0000-000000000002', '22222222-0000-0000-0000-000000000001');
SELECT table_a, table_b FROM table_adjacency;
INSERT INTO table_adjacency VALUES ('11111111-0000-0000-0000-000000000001',
    '22222222-0000-0000-0000-000000000001', '22222222-0000-0000-0000-000000000002');
INSERT INTO table_adjacency VALUES ('11111111-0000-0000-0000-000000000001',
    '22222222-0000-0000-0000-000000000001', '22222222-0000-0000-0000-000000000001');
INSERT INTO table_adjacency VALUES ('11111111-0000-0000-0000-000000000001',
    '22222222-0000-0000-0000-000000000001', '22222222-0000-0000-0000-000000000003');
INSERT INTO table_adjacency VALUES ('11111111-0000-0000-0000-000000000001',
    '22222222-0000-0000-0000-000000000001', '22222222-0000-0000-0000-000000000009');

-- bookings
\set VERBOSITY terse
INSERT INTO bookings (restaurant_id, party_size, start_at, end_at)
VALUES ('11111111-0000-0000-0000-000000000001', 0, '2030-01-01 19:00+00', '2030-01-01 21:00+00');
INSERT INTO bookings (restaurant_id, party_size, start_at, end_at)
VALUES ('11111111-0000-0000-0000-000000000001', NULL, '2030-01-01 19:00+00', '2030-01-01 21:00+00');
INSERT INTO bookings (restaurant_id, party_size, start_at, end_at)
VALUES ('11111111-0000-0000-0000-000000000001', 2, '2030-01-01 21:00+00', '2030-01-01 19:00+00');
INSERT INTO bookings (restaurant_id, party_size, start_at, end_at)
VALUES ('11111111-0000-0000-0000-000000000001', 2, '2030-01-01 19:00+00', '2030-01-01 19:00+00');
INSERT INTO bookings (restaurant_id, party_size, start_at, end_at)
VALUES ('11111111-0000-0000-0000-000000000001', 2, '2030-01-01 19:00+00', '2030-01-03 19:00+00');
INSERT INTO bookings (restaurant_id, party_size, start_at, end_at)
VALUES ('11111111-0000-0000-0000-000000000001', 2, '-infinity', '2030-01-01 19:00+00');
INSERT INTO bookings (restaurant_id, party_size, start_at, end_at)
VALUES ('11111111-0000-0000-0000-00000000dead', 2, '2030-01-01 19:00+00', '2030-01-01 21:00+00');
INSERT INTO bookings (restaurant_id, party_size, start_at, end_at, status)
VALUES ('11111111-0000-0000-0000-000000000001', 2, '2030-01-01 19:00+00', '2030-01-01 21:00+00', 'seated');
-- New bookings start at the beginning of the state machine.
\set VERBOSITY default
INSERT INTO bookings (restaurant_id, party_size, start_at, end_at, status, assignment_state)
VALUES ('11111111-0000-0000-0000-000000000001', 2, '2030-01-01 19:00+00', '2030-01-01 21:00+00',
        'confirmed', 'confirmed');

INSERT INTO bookings (id, restaurant_id, party_size, start_at, end_at) VALUES
    ('33333333-0000-0000-0000-000000000001', '11111111-0000-0000-0000-000000000001', 2,
     '2030-01-01 19:00+00', '2030-01-01 21:00+00'),
    ('33333333-0000-0000-0000-000000000002', '11111111-0000-0000-0000-000000000001', 2,
     '2030-01-01 20:00+00', '2030-01-01 22:00+00');

-- table_assignments: the exclusion constraint is the last word on double booking.
INSERT INTO table_assignments (booking_id, table_id, restaurant_id, during, pipeline) VALUES
    ('33333333-0000-0000-0000-000000000001', '22222222-0000-0000-0000-000000000001',
     '11111111-0000-0000-0000-000000000001', '[2030-01-01 19:00+00, 2030-01-01 21:00+00)', 'manual');
INSERT INTO table_assignments (booking_id, table_id, restaurant_id, during, pipeline) VALUES
    ('33333333-0000-0000-0000-000000000002', '22222222-0000-0000-0000-000000000001',
     '11111111-0000-0000-0000-000000000001', '[2030-01-01 20:00+00, 2030-01-01 22:00+00)', 'manual');
-- Back to back is fine: the ranges are half-open.
INSERT INTO table_assignments (booking_id, table_id, restaurant_id, during, pipeline) VALUES
    ('33333333-0000-0000-0000-000000000002', '22222222-0000-0000-0000-000000000001',
     '11111111-0000-0000-0000-000000000001', '[2030-01-01 21:00+00, 2030-01-01 23:00+00)', 'manual');
-- A table of another restaurant, a closed range, an unknown pipeline.
\set VERBOSITY terse
INSERT INTO table_assignments (booking_id, table_id, restaurant_id, during, pipeline) VALUES
    ('33333333-0000-0000-0000-000000000002', '22222222-0000-0000-0000-000000000009',
     '11111111-0000-0000-0000-000000000001', '[2030-01-02 19:00+00, 2030-01-02 21:00+00)', 'manual');
INSERT INTO table_assignments (booking_id, table_id, restaurant_id, during, pipeline) VALUES
    ('33333333-0000-0000-0000-000000000002', '22222222-0000-0000-0000-000000000002',
     '11111111-0000-0000-0000-000000000001', '[2030-01-02 19:00+00, 2030-01-02 21:00+00]', 'manual');
INSERT INTO table_assignments (booking_id, table_id, restaurant_id, during, pipeline) VALUES
    ('33333333-0000-0000-0000-000000000002', '22222222-0000-0000-0000-000000000002',
     '11111111-0000-0000-0000-000000000001', '[2030-01-02 19:00+00, 2030-01-02 21:00+00)', 'robot');
DELETE FROM table_assignments;

-- observability_events
\set VERBOSITY terse
INSERT INTO observability_events (source, event_type, severity) VALUES ('x', 'y', 'fatal');
INSERT INTO observability_events (source, event_type, context) VALUES ('x', 'y', '[1, 2]');
INSERT INTO observability_events (id, source, event_type) VALUES (1, 'x', 'y');

-- shadow_plans and restaurant_rollout
INSERT INTO shadow_plans (booking_id, assignment_version, restaurant_id, outcome)
VALUES ('33333333-0000-0000-0000-000000000001', 0, '11111111-0000-0000-0000-000000000001', 'maybe');
INSERT INTO restaurant_rollout VALUES ('11111111-0000-0000-0000-000000000001', 'v4');
INSERT INTO restaurant_rollout VALUES ('11111111-0000-0000-0000-00000000dead', 'v3');

-- Clean up for the next tests.
DELETE FROM bookings;
DELETE FROM restaurants;
