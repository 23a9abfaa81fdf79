-- Helpers for the pipeline tests that follow (public schema, same database): short names for
-- fixed ids, a booking maker with a deterministic claim order, and views of the outcome.
SET search_path = public;

-- 'r1' -> a0000000-0000-0000-0000-0000000000r1-like uuids, readable in outputs.
CREATE FUNCTION t_id(kind text, n integer) RETURNS uuid LANGUAGE sql IMMUTABLE AS $$
    SELECT (CASE kind WHEN 'restaurant' THEN 'a0000000' WHEN 'table' THEN 'a1000000' ELSE 'b0000000' END
            || '-0000-0000-0000-' || lpad(n::text, 12, '0'))::uuid
$$;

CREATE FUNCTION t_restaurant(n integer, name text, turn_buffer interval DEFAULT '0',
                             max_covers integer DEFAULT NULL) RETURNS uuid LANGUAGE sql AS $$
    INSERT INTO assignment_v3.restaurants (id, name, turn_buffer, max_covers_per_slot)
    VALUES (t_id('restaurant', n), name, turn_buffer, max_covers) RETURNING id
$$;

CREATE FUNCTION t_table(restaurant integer, n integer, label text, capacity integer,
                        zone text DEFAULT 'main', min_party integer DEFAULT 1) RETURNS uuid LANGUAGE sql AS $$
    INSERT INTO assignment_v3.restaurant_tables (id, restaurant_id, label, capacity, zone, min_party)
    VALUES (t_id('table', n), t_id('restaurant', restaurant), label, capacity, zone, min_party) RETURNING id
$$;

CREATE FUNCTION t_adjacent(restaurant integer, a integer, b integer) RETURNS void LANGUAGE sql AS $$
    INSERT INTO assignment_v3.table_adjacency VALUES (t_id('restaurant', restaurant), t_id('table', a), t_id('table', b))
$$;

-- Bookings on 2030-06-01 (UTC); claim order follows n.
CREATE FUNCTION t_book(n integer, restaurant integer, party integer, starts time, duration interval DEFAULT '2 hours',
                       zone text DEFAULT NULL) RETURNS uuid LANGUAGE sql AS $$
    INSERT INTO assignment_v3.bookings (id, restaurant_id, party_size, start_at, end_at, zone_preference, next_attempt_at)
    VALUES (t_id('booking', n), t_id('restaurant', restaurant), party,
            ('2030-06-01'::date + starts) AT TIME ZONE 'UTC',
            ('2030-06-01'::date + starts) AT TIME ZONE 'UTC' + duration,
            zone, '2000-01-01 00:00+00'::timestamptz + n * interval '1 second')
    RETURNING id
$$;

-- Makes a booking due now (what the passing of time does to a scheduled retry).
CREATE FUNCTION t_due(n integer) RETURNS void LANGUAGE sql AS $$
    UPDATE assignment_v3.bookings SET next_attempt_at = '2000-01-01 00:00+00'::timestamptz + n * interval '1 second'
    WHERE id = t_id('booking', n)
$$;

CREATE FUNCTION t_short(id uuid) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE left(id::text, 2) WHEN 'b0' THEN 'b' WHEN 'a1' THEN 't' ELSE 'r' END
           || ltrim(right(id::text, 12), '0')
$$;

-- process_pending() with readable ids, in booking order.
CREATE FUNCTION t_process(max_bookings integer DEFAULT 1000)
RETURNS TABLE (booking text, pipeline text, outcome text, reason text) LANGUAGE sql AS $$
    SELECT t_short(p.booking_id), p.pipeline, p.outcome, p.reason
    FROM assignment_v3.process_pending(max_bookings) p ORDER BY p.booking_id
$$;

-- Where every booking of a restaurant sits.
CREATE FUNCTION t_seating(restaurant integer)
RETURNS TABLE (booking text, party integer, state text, status text, version integer, attempts integer,
               last_reason text, tables text, pipeline text) LANGUAGE sql AS $$
    SELECT t_short(b.id), b.party_size, b.assignment_state, b.status, b.assignment_version, b.attempts,
           b.last_reason, string_agg(t.label, '+' ORDER BY t.label), min(a.pipeline)
    FROM assignment_v3.bookings b
    LEFT JOIN assignment_v3.table_assignments a ON a.booking_id = b.id
    LEFT JOIN assignment_v3.restaurant_tables t ON t.id = a.table_id
    WHERE b.restaurant_id = t_id('restaurant', restaurant)
    GROUP BY b.id ORDER BY b.id
$$;

-- A booking's events in order, without the volatile parts of their contexts.
CREATE FUNCTION t_events(n integer)
RETURNS TABLE (event_type text, context jsonb) LANGUAGE sql AS $$
    SELECT e.event_type,
           e.context - 'duration_ms' - 'delay_ms' - 'latency_ms' - 'tables' - 'table_id' - 'message'
    FROM assignment_v3.observability_events e
    WHERE e.booking_id = t_id('booking', n) ORDER BY e.created_at, e.id
$$;
