-- Experiment (scripts/bench BENCH_SCHEMA_SQL): every booking id time-ordered, as an application
-- that sends UUIDv7 ids would make them (docs/operations.md, "Booking ids"). The first 48 bits
-- are the milliseconds since the epoch, the version nibble says 7, the rest is random: ids made
-- later sort later, so each new booking's entries in the three indexes keyed by booking id land
-- at their right edge instead of on a random page.
--
-- The benchmark's loads call gen_random_uuid() unqualified (bench_events.sql, bench_history.sql);
-- a function of that name ahead of pg_catalog in the database's search_path stands in for it in
-- those sessions, and the bookings' column default is pointed at it too. The extension's own
-- functions and workers pin their search_path and are not affected (they make no booking ids).
CREATE SCHEMA bench_ids;
CREATE FUNCTION bench_ids.gen_random_uuid() RETURNS uuid LANGUAGE sql VOLATILE PARALLEL SAFE AS $$
    SELECT pg_catalog.encode(
               pg_catalog.set_byte(
                   pg_catalog.overlay(
                       pg_catalog.uuid_send(pg_catalog.gen_random_uuid()),
                       pg_catalog.substr(pg_catalog.int8send(
                           (extract(epoch FROM pg_catalog.clock_timestamp()) * 1000)::bigint), 3),
                       1, 6),
                   6, (pg_catalog.get_byte(pg_catalog.uuid_send(pg_catalog.gen_random_uuid()), 6) & 15) | 112),
               'hex')::uuid
$$;
ALTER TABLE assignment_v3.bookings ALTER COLUMN id SET DEFAULT bench_ids.gen_random_uuid();
DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET search_path = bench_ids, pg_catalog, "$user", public',
                           current_database()); END $$;
