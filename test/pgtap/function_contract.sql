-- The SQL surface of DESIGN §10: functions, their arguments and results.
BEGIN;
SELECT * FROM no_plan();

SELECT has_function('assignment_v3', 'process_pending', ARRAY['integer']);
SELECT function_returns('assignment_v3', 'process_pending', ARRAY['integer'], 'setof record');
SELECT is((SELECT pg_get_function_result('assignment_v3.process_pending(integer)'::regprocedure)),
          'TABLE(booking_id uuid, pipeline text, outcome text, reason text)', 'process_pending() columns');
SELECT is((SELECT pg_get_function_arguments('assignment_v3.process_pending(integer)'::regprocedure)),
          'max_bookings integer DEFAULT 1000', 'process_pending() default');
SELECT has_function('assignment_v3', 'assign_booking', ARRAY['uuid', 'text']);
SELECT is((SELECT pg_get_function_result('assignment_v3.assign_booking(uuid, text)'::regprocedure)),
          'TABLE(outcome text, reason text, table_ids uuid[], pipeline text)', 'assign_booking() columns');
SELECT has_function('assignment_v3', 'cancel_booking', ARRAY['uuid']);
SELECT has_function('assignment_v3', 'requeue', ARRAY['uuid']);
SELECT has_function('assignment_v3', 'assign_manually', ARRAY['uuid', 'uuid[]']);
SELECT has_function('assignment_v3', 'check_invariants', ARRAY[]::text[]);
SELECT is((SELECT pg_get_function_result('assignment_v3.check_invariants()'::regprocedure)),
          'TABLE(invariant text, booking_id uuid, detail text)', 'check_invariants() columns');
SELECT has_function('assignment_v3', 'status', ARRAY[]::text[]);
SELECT has_function('assignment_v3', 'restaurant_mode', ARRAY['uuid']);
SELECT has_function('assignment_v3', 'rollout_bucket', ARRAY['uuid']);
SELECT volatility_is('assignment_v3', 'rollout_bucket', ARRAY['uuid'], 'immutable');
SELECT has_function('assignment_v3', 'restaurant_lock_key', ARRAY['uuid']);
SELECT has_function('assignment_v3', 'reset_circuit_breaker', ARRAY[]::text[]);
-- Time-ordered uuids (version 7) for booking ids, and their form for a given time.
SELECT has_function('assignment_v3', 'uuid_v7', ARRAY[]::text[]);
SELECT has_function('assignment_v3', 'uuid_v7', ARRAY['timestamp with time zone']);
SELECT volatility_is('assignment_v3', 'uuid_v7', ARRAY[]::text[], 'volatile');
SELECT volatility_is('assignment_v3', 'uuid_v7', ARRAY['timestamp with time zone'], 'volatile');
SELECT is_strict('assignment_v3', 'uuid_v7', ARRAY['timestamp with time zone']);
SELECT ok(
    (SELECT bool_and(a < b) FROM (SELECT lag(id) OVER (ORDER BY n) AS a, id AS b
                                  FROM (SELECT n, assignment_v3.uuid_v7() AS id FROM generate_series(1, 1000) n) s) t
     WHERE a IS NOT NULL),
    'uuid_v7() ids of one session sort in the order they were made');
SELECT is(substr(assignment_v3.uuid_v7()::text, 15, 1), '7', 'uuid_v7() makes version 7 uuids');
SELECT ok(assignment_v3.uuid_v7('2030-01-01 00:00+00') > assignment_v3.uuid_v7('2029-12-31 23:59:59.999+00'),
          'uuid_v7(at) sorts by time');

-- The columns of the workers view.
SELECT columns_are('assignment_v3', 'workers', ARRAY[
    'slot', 'pid', 'state', 'started_at', 'config_loaded_at', 'last_batch_at', 'batches', 'invocations', 'confirmed',
    'retried', 'manual_review', 'noop', 'errors', 'legacy', 'shadow_plans', 'current_booking',
    'last_error', 'last_error_at']);

-- status() answers in one row, whatever the state.
SELECT is((SELECT count(*)::int FROM assignment_v3.status()), 1, 'status() returns one row');
SELECT ok((SELECT circuit_state FROM assignment_v3.status()) IN ('closed', 'open', 'half_open'), 'circuit state is known');

-- A healthy empty database has no invariant violation.
SELECT is_empty('SELECT * FROM assignment_v3.check_invariants()', 'no violations on an empty schema');

-- Everything users touch says what it is (docs/reference.md is generated from these comments):
-- every function of the API with an example, every table, view and column.
SELECT is(ARRAY(SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                WHERE n.nspname = 'assignment_v3'
                  AND coalesce(obj_description(p.oid, 'pg_proc'), '') !~ '\S.* Example: \S'
                ORDER BY 1),
          '{}'::text[], 'every function has a COMMENT with an example');
SELECT is(ARRAY(SELECT c.oid::regclass::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname = 'assignment_v3' AND c.relkind IN ('r', 'v', 'p')
                  AND obj_description(c.oid, 'pg_class') IS NULL ORDER BY 1),
          '{}'::text[], 'every table and view has a COMMENT');
SELECT is(ARRAY(SELECT c.oid::regclass::text || '.' || a.attname
                FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname = 'assignment_v3' AND c.relkind IN ('r', 'v', 'p') AND a.attnum > 0
                  AND NOT a.attisdropped AND col_description(c.oid, a.attnum) IS NULL ORDER BY 1),
          '{}'::text[], 'every column has a COMMENT');

SELECT * FROM finish();
ROLLBACK;
