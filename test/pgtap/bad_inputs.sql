-- A catalogue of bad inputs: each is refused with a clear error (SQLSTATE and message) or ends
-- in a defined outcome, and loses nothing.
BEGIN;
SELECT * FROM no_plan();

INSERT INTO assignment_v3.restaurants (id, name, turn_buffer) VALUES
    ('c0000000-0000-0000-0000-000000000001', 'Catalogue', '10 minutes'),
    ('c0000000-0000-0000-0000-000000000002', 'Elsewhere', '0'),
    ('c0000000-0000-0000-0000-000000000003', 'No Tables', '0');
INSERT INTO assignment_v3.restaurant_tables (id, restaurant_id, label, capacity, zone, active) VALUES
    ('c1000000-0000-0000-0000-000000000001', 'c0000000-0000-0000-0000-000000000001', 'A4', 4, 'main', true),
    ('c1000000-0000-0000-0000-000000000002', 'c0000000-0000-0000-0000-000000000001', 'B4', 4, 'main', true),
    ('c1000000-0000-0000-0000-000000000003', 'c0000000-0000-0000-0000-000000000001', 'P4', 4, 'patio', true),
    ('c1000000-0000-0000-0000-000000000004', 'c0000000-0000-0000-0000-000000000001', 'Z8', 8, 'main', false),
    ('c1000000-0000-0000-0000-000000000009', 'c0000000-0000-0000-0000-000000000002', 'X4', 4, 'main', true);
INSERT INTO assignment_v3.bookings (id, restaurant_id, party_size, start_at, end_at) VALUES
    ('c2000000-0000-0000-0000-000000000001', 'c0000000-0000-0000-0000-000000000001', 4,
     '2031-05-01 19:00+00', '2031-05-01 21:00+00');
SELECT is((SELECT count(*)::int FROM assignment_v3.process_pending()), 1, 'a good booking is processed');

-- Bookings: NULLs, out-of-range sizes, impossible or infinite times, unknown restaurants.
SELECT throws_ok($$INSERT INTO assignment_v3.bookings (restaurant_id, party_size, start_at, end_at)
    VALUES ('c0000000-0000-0000-0000-000000000001', NULL, now(), now() + interval '2h')$$,
    '23502', NULL, '1. NULL party size');
SELECT throws_like($$INSERT INTO assignment_v3.bookings (restaurant_id, party_size, start_at, end_at)
    VALUES ('c0000000-0000-0000-0000-000000000001', 0, now(), now() + interval '2h')$$,
    '%bookings_party_size_between_1_and_1000%', '2. party size 0');
SELECT throws_like($$INSERT INTO assignment_v3.bookings (restaurant_id, party_size, start_at, end_at)
    VALUES ('c0000000-0000-0000-0000-000000000001', -3, now(), now() + interval '2h')$$,
    '%bookings_party_size_between_1_and_1000%', '3. negative party size');
SELECT throws_like($$INSERT INTO assignment_v3.bookings (restaurant_id, party_size, start_at, end_at)
    VALUES ('c0000000-0000-0000-0000-000000000001', 5000, now(), now() + interval '2h')$$,
    '%bookings_party_size_between_1_and_1000%', '4. party size 5000');
SELECT throws_like($$INSERT INTO assignment_v3.bookings (restaurant_id, party_size, start_at, end_at)
    VALUES ('c0000000-0000-0000-0000-000000000001', 2, now(), now() - interval '1h')$$,
    '%bookings_end_at_after_start_at%', '5. end before start');
SELECT throws_like($$INSERT INTO assignment_v3.bookings (restaurant_id, party_size, start_at, end_at)
    VALUES ('c0000000-0000-0000-0000-000000000001', 2, '2031-01-01 19:00+00', '2031-01-01 19:00+00')$$,
    '%bookings_end_at_after_start_at%', '6. zero-length booking');
SELECT throws_like($$INSERT INTO assignment_v3.bookings (restaurant_id, party_size, start_at, end_at)
    VALUES ('c0000000-0000-0000-0000-000000000001', 2, '2031-01-01 19:00+00', '2031-01-03 19:00+00')$$,
    '%bookings_duration_at_most_24_hours%', '7. a booking of two days');
SELECT throws_like($$INSERT INTO assignment_v3.bookings (restaurant_id, party_size, start_at, end_at)
    VALUES ('c0000000-0000-0000-0000-000000000001', 2, 'infinity', 'infinity')$$,
    '%must_be_finite%', '8. an infinite booking');
SELECT throws_ok($$INSERT INTO assignment_v3.bookings (restaurant_id, party_size, start_at, end_at)
    VALUES ('c0000000-0000-0000-0000-0000000000ff', 2, now(), now() + interval '2h')$$,
    '23503', NULL, '9. an unknown restaurant');
SELECT throws_ok($$INSERT INTO assignment_v3.bookings (restaurant_id, party_size, start_at, end_at)
    VALUES (NULL, 2, now(), now() + interval '2h')$$, '23502', NULL, '10. no restaurant');
SELECT throws_like($$INSERT INTO assignment_v3.bookings (restaurant_id, party_size, start_at, end_at, assignment_state, status)
    VALUES ('c0000000-0000-0000-0000-000000000001', 2, now(), now() + interval '2h', 'confirmed', 'confirmed')$$,
    'new bookings start with status ''pending''%', '11. a booking inserted as confirmed');

-- Defined outcomes: far-future bookings are served like any other; a restaurant without
-- tables, a party no table could seat, and inactive tables end in manual review.
INSERT INTO assignment_v3.bookings (id, restaurant_id, party_size, start_at, end_at) VALUES
    ('c2000000-0000-0000-0000-000000000002', 'c0000000-0000-0000-0000-000000000001', 2,
     '2999-12-31 19:00+00', '2999-12-31 21:00+00'),
    ('c2000000-0000-0000-0000-000000000003', 'c0000000-0000-0000-0000-000000000003', 2,
     '2031-05-01 19:00+00', '2031-05-01 21:00+00'),
    ('c2000000-0000-0000-0000-000000000004', 'c0000000-0000-0000-0000-000000000001', 7,
     '2031-05-02 19:00+00', '2031-05-02 21:00+00');
SELECT results_eq(
    $$SELECT outcome, coalesce(reason, '') FROM assignment_v3.process_pending() ORDER BY booking_id$$,
    $$VALUES ('confirmed', ''), ('manual_review', 'no_tables'), ('manual_review', 'party_too_large')$$,
    '12-14. far future seated; no tables and only an inactive 8-top for 7 guests: manual review');

-- Tables and adjacency.
SELECT throws_like($$INSERT INTO assignment_v3.restaurant_tables (restaurant_id, label, capacity)
    VALUES ('c0000000-0000-0000-0000-000000000001', 'A4', 2)$$,
    '%restaurant_tables_label_unique_per_restaurant%', '15. a duplicate table label');
SELECT throws_like($$INSERT INTO assignment_v3.restaurant_tables (restaurant_id, label, capacity, min_party)
    VALUES ('c0000000-0000-0000-0000-000000000001', 'M2', 2, 4)$$,
    '%restaurant_tables_min_party_between_1_and_capacity%', '16. min party above capacity');
SELECT throws_ok($$INSERT INTO assignment_v3.table_adjacency VALUES ('c0000000-0000-0000-0000-000000000001',
    'c1000000-0000-0000-0000-000000000001', 'c1000000-0000-0000-0000-000000000003')$$,
    '23514', 'tables in different zones cannot be adjacent', '17. adjacency across zones');
SELECT throws_ok($$INSERT INTO assignment_v3.table_adjacency VALUES ('c0000000-0000-0000-0000-000000000001',
    'c1000000-0000-0000-0000-000000000001', 'c1000000-0000-0000-0000-000000000001')$$,
    '23514', 'a table cannot be adjacent to itself', '18. adjacency to itself');
INSERT INTO assignment_v3.table_adjacency VALUES ('c0000000-0000-0000-0000-000000000001',
    'c1000000-0000-0000-0000-000000000001', 'c1000000-0000-0000-0000-000000000002');
SELECT throws_ok($$INSERT INTO assignment_v3.table_adjacency VALUES ('c0000000-0000-0000-0000-000000000001',
    'c1000000-0000-0000-0000-000000000002', 'c1000000-0000-0000-0000-000000000001')$$,
    '23505', NULL, '19. the same adjacency again, the other way round');
SELECT throws_ok($$INSERT INTO assignment_v3.table_adjacency VALUES ('c0000000-0000-0000-0000-000000000001',
    'c1000000-0000-0000-0000-000000000001', 'c1000000-0000-0000-0000-000000000009')$$,
    '23503', NULL, '20. adjacency with a table of another restaurant');

-- Manual assignment.
SELECT throws_like($$SELECT assignment_v3.assign_manually('c2000000-0000-0000-0000-000000000003',
    ARRAY['c1000000-0000-0000-0000-000000000009']::uuid[])$$, '%belongs to another restaurant', '21. a table of another restaurant');
SELECT throws_ok($$SELECT assignment_v3.assign_manually('c2000000-0000-0000-0000-000000000004',
    ARRAY['c1000000-0000-0000-0000-000000000001']::uuid[])$$, '22023', NULL, '22. too few seats');
INSERT INTO assignment_v3.bookings (id, restaurant_id, party_size, start_at, end_at) VALUES
    ('c2000000-0000-0000-0000-000000000005', 'c0000000-0000-0000-0000-000000000001', 4,
     '2031-05-01 20:00+00', '2031-05-01 22:00+00');
SELECT throws_ok($$SELECT assignment_v3.assign_manually('c2000000-0000-0000-0000-000000000005',
    (SELECT array_agg(table_id) FROM assignment_v3.table_assignments
     WHERE booking_id = 'c2000000-0000-0000-0000-000000000001'))$$, '23P01', NULL, '23. an overlapping table');
SELECT throws_like($$SELECT assignment_v3.assign_manually('c2000000-0000-0000-0000-000000000005',
    ARRAY['c1000000-0000-0000-0000-000000000004']::uuid[])$$, '%is inactive', '24. an inactive table');
SELECT throws_ok($$SELECT assignment_v3.assign_manually('c2000000-0000-0000-0000-0000000000ff',
    ARRAY['c1000000-0000-0000-0000-000000000003']::uuid[])$$, 'P0002', NULL, '25. an unknown booking');
SELECT throws_ok($$SELECT assignment_v3.assign_manually(NULL, NULL)$$, '22004', NULL, '26. NULL arguments');

-- Operator functions on unknown or unsuitable bookings.
SELECT throws_ok($$SELECT assignment_v3.requeue('c2000000-0000-0000-0000-0000000000ff')$$, 'P0002', NULL,
    '27. requeue an unknown booking');
SELECT throws_ok($$SELECT assignment_v3.requeue('c2000000-0000-0000-0000-000000000001')$$, '55000', NULL,
    '28. requeue a confirmed booking');
SELECT throws_ok($$SELECT assignment_v3.cancel_booking('c2000000-0000-0000-0000-0000000000ff')$$, 'P0002', NULL,
    '29. cancel an unknown booking');
SELECT throws_ok($$SELECT assignment_v3.cancel_booking(NULL)$$, '22004', NULL, '30. cancel NULL');
SELECT throws_ok($$SELECT * FROM assignment_v3.assign_booking('c2000000-0000-0000-0000-0000000000ff')$$,
    'P0002', NULL, '31. assign an unknown booking');
SELECT throws_ok($$SELECT * FROM assignment_v3.assign_booking('c2000000-0000-0000-0000-000000000001', 'v9')$$,
    '22023', 'unknown pipeline "v9"', '32. an unknown pipeline');
SELECT throws_ok($$SELECT * FROM assignment_v3.process_pending(0)$$, '22023', NULL, '33. process_pending(0)');
SELECT throws_ok($$SELECT assignment_v3.restaurant_mode('c0000000-0000-0000-0000-0000000000ff')$$, 'P0002', NULL,
    '34. the mode of an unknown restaurant');

-- State writes that skip the state machine.
SELECT throws_like($$UPDATE assignment_v3.bookings SET assignment_state = 'confirmed'
    WHERE id = 'c2000000-0000-0000-0000-000000000005'$$, '%is managed by assignment_v3', '35. set the state directly');
SELECT throws_like($$UPDATE assignment_v3.bookings SET status = 'confirmed'
    WHERE id = 'c2000000-0000-0000-0000-000000000005'$$, '%is managed by assignment_v3', '36. set the status directly');
SELECT throws_like($$UPDATE assignment_v3.bookings SET assignment_version = assignment_version + 1
    WHERE id = 'c2000000-0000-0000-0000-000000000005'$$, '%is managed by assignment_v3', '37. bump the version');
SELECT throws_like($$UPDATE assignment_v3.bookings SET restaurant_id = 'c0000000-0000-0000-0000-000000000002'
    WHERE id = 'c2000000-0000-0000-0000-000000000005'$$, '%cannot change', '38. move to another restaurant');
SELECT lives_ok($$SELECT assignment_v3.cancel_booking('c2000000-0000-0000-0000-000000000005')$$, 'cancel');
SELECT throws_like($$UPDATE assignment_v3.bookings SET party_size = 3
    WHERE id = 'c2000000-0000-0000-0000-000000000005'$$, '%is cancelled', '39. modify a cancelled booking');

-- Rollout overrides and GUCs.
SELECT throws_like($$INSERT INTO assignment_v3.restaurant_rollout VALUES ('c0000000-0000-0000-0000-000000000001', 'beta')$$,
    '%restaurant_rollout_mode_is_v3_legacy_or_shadow%', '40. an unknown rollout mode');
SELECT throws_ok($$SET assignment_v3.batch_size = 0$$, '22023', NULL, '41. a GUC out of range');
SELECT throws_ok($$SET assignment_v3.poll_interval = '3 fortnights'$$, '22023', NULL, '42. a GUC with a bad unit');
SELECT throws_ok($$SET assignment_v3.max_retries = 'many'$$, '22023', NULL, '43. a GUC of the wrong type');
SELECT throws_ok($$SET assignment_v3.enabled = on$$, '55P02', NULL, '44. a rollout flag set in a session');
SELECT throws_ok($$SET assignment_v3.typo = 1$$, '42602', NULL, '45. a misspelt GUC');
SELECT throws_ok($$SELECT assignment_v3.rebuild_event_rollups(now(), now() - interval '1 day')$$, '22023', NULL,
    '46. rollups rebuilt over an empty range');
SELECT throws_ok($$SELECT assignment_v3.grant_worker_privileges('no_such_role_here')$$, '42704', NULL,
    '47. worker privileges for a missing role');

-- Nothing lost: every booking that was accepted is in exactly one state, nothing double-booked.
SELECT is_empty('SELECT * FROM assignment_v3.check_invariants()', 'the invariants hold after all of it');
SELECT is((SELECT count(*)::int FROM assignment_v3.bookings WHERE restaurant_id IN
           ('c0000000-0000-0000-0000-000000000001', 'c0000000-0000-0000-0000-000000000003')), 5,
          'exactly the five accepted bookings exist');

SELECT * FROM finish();
ROLLBACK;
