-- Experiment (scripts/bench BENCH_SCHEMA_SQL): no autovacuum during the run. The benchmark
-- vacuums and analyzes explicitly before each drain; autovacuum, waking once a minute, also
-- processed the drained tables during some drains of a full run and not others (bookings 4
-- times, observability_events twice, table_assignments twice in the run of dc0aa24), a tax on
-- one side of a ratio at random.
ALTER SYSTEM SET autovacuum = off;
SELECT pg_reload_conf();
