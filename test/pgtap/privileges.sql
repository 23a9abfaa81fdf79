-- Privileges: nothing that changes state is executable by PUBLIC, statistics are readable by
-- members of pg_monitor (without access to the tables), and every SECURITY DEFINER function
-- pins its search_path.
BEGIN;
SELECT * FROM no_plan();

CREATE ROLE av3_app_user NOLOGIN;
CREATE ROLE av3_monitor NOLOGIN IN ROLE pg_monitor;

-- Functions that change state or run the pipeline: not for PUBLIC, nor for a plain role.
SELECT ok(NOT has_function_privilege('av3_app_user', f, 'EXECUTE'), f || ' is not executable by PUBLIC')
FROM unnest(ARRAY[
    'assignment_v3.process_pending(integer)', 'assignment_v3.assign_booking(uuid, text)',
    'assignment_v3.cancel_booking(uuid)', 'assignment_v3.requeue(uuid)',
    'assignment_v3.assign_manually(uuid, uuid[])', 'assignment_v3.reset_circuit_breaker()',
    'assignment_v3_internal.attach_workers()', 'assignment_v3.check_invariants()',
    'assignment_v3.grant_worker_privileges(name)', 'assignment_v3.purge_old_events(integer)',
    'assignment_v3.rebuild_event_rollups(timestamptz, timestamptz)', 'assignment_v3.clear_auto_rollback()']) f;
SELECT ok(NOT has_function_privilege('av3_monitor', f, 'EXECUTE'), f || ' is not executable by pg_monitor')
FROM unnest(ARRAY['assignment_v3.process_pending(integer)', 'assignment_v3.requeue(uuid)',
                  'assignment_v3.assign_manually(uuid, uuid[])', 'assignment_v3.reset_circuit_breaker()',
                  'assignment_v3.clear_auto_rollback()']) f;

-- No function at all is executable by PUBLIC, except the helper a check constraint calls and
-- the time-ordered ids (with their form for a given time), like gen_random_uuid().
SELECT is(
    ARRAY(SELECT p.oid::regprocedure::text FROM pg_proc p
          JOIN pg_namespace n ON n.oid = p.pronamespace
          CROSS JOIN LATERAL aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a
          WHERE n.nspname IN ('assignment_v3', 'assignment_v3_internal') AND a.grantee = 0
            AND a.privilege_type = 'EXECUTE'
          ORDER BY p.oid::regprocedure::text COLLATE "C"),
    ARRAY['assignment_v3.uuid_v7()', 'assignment_v3.uuid_v7(timestamp with time zone)',
          'assignment_v3_internal.is_known_timezone(text)'],
    'only is_known_timezone() and uuid_v7() are executable by PUBLIC');

-- Privileges are explicit on every function and table of the extension (none relies on the
-- defaults, which for functions include EXECUTE for PUBLIC).
SELECT is_empty(
    $$SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
      WHERE n.nspname IN ('assignment_v3', 'assignment_v3_internal') AND p.proacl IS NULL$$,
    'every function has an explicit ACL');
SELECT is_empty(
    $$SELECT c.oid::regclass::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname IN ('assignment_v3', 'assignment_v3_internal') AND c.relkind IN ('r', 'v') AND c.relacl IS NULL$$,
    'every table and view has an explicit ACL');
SELECT ok(NOT has_schema_privilege('av3_app_user', 'assignment_v3_internal', 'USAGE'),
          'the internal schema is not usable by PUBLIC');

-- The tables are not readable or writable by PUBLIC.
SELECT ok(NOT has_table_privilege('av3_app_user', 'assignment_v3.' || t, p), format('%s on %s not granted to PUBLIC', p, t))
FROM unnest(ARRAY['bookings', 'restaurants', 'observability_events', 'table_assignments']) t,
     unnest(ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE']) p;

-- pg_monitor reads the statistics and the status.
SELECT ok(has_function_privilege('av3_monitor', f, 'EXECUTE'), f || ' is executable by pg_monitor')
FROM unnest(ARRAY[
    'assignment_v3.outcome_summary(interval, timestamptz)', 'assignment_v3.retry_reasons(interval, timestamptz)',
    'assignment_v3.manual_review_by_restaurant(interval, timestamptz)',
    'assignment_v3.confirmation_rate(interval, interval, timestamptz)',
    'assignment_v3.transition_volume(interval, timestamptz)', 'assignment_v3.pipeline_mix(interval, timestamptz)',
    'assignment_v3.error_rate(interval, interval, timestamptz)',
    'assignment_v3.manual_review_reasons(interval, timestamptz)', 'assignment_v3.latency(interval, timestamptz)',
    'assignment_v3.shadow_agreement(interval, timestamptz)',
    'assignment_v3.rollout_gate(interval, numeric, numeric, numeric, integer, integer, timestamptz)',
    'assignment_v3.rollout_verdict(interval, numeric, numeric, numeric, integer, integer, timestamptz)',
    'assignment_v3.rollout_evidence(interval, timestamptz)',
    'assignment_v3.status()', 'assignment_v3.check_invariants()']) f;
SELECT ok(has_table_privilege('av3_monitor', 'assignment_v3.workers', 'SELECT'), 'pg_monitor reads the workers view');

-- ... and really can, as a member of pg_monitor without any table privilege.
SET LOCAL ROLE av3_monitor;
SELECT lives_ok('SELECT * FROM assignment_v3.outcome_summary()', 'outcome_summary() as pg_monitor');
SELECT lives_ok('SELECT * FROM assignment_v3.rollout_gate()', 'rollout_gate() as pg_monitor');
SELECT lives_ok('SELECT * FROM assignment_v3.rollout_evidence()', 'rollout_evidence() as pg_monitor');
SELECT lives_ok('SELECT * FROM assignment_v3.latency()', 'latency() as pg_monitor');
SELECT lives_ok('SELECT * FROM assignment_v3.shadow_agreement()', 'shadow_agreement() as pg_monitor');
SELECT lives_ok('SELECT * FROM assignment_v3.status()', 'status() as pg_monitor');
SELECT lives_ok('SELECT * FROM assignment_v3.workers', 'the workers view as pg_monitor');
SELECT throws_ok('SELECT * FROM assignment_v3.bookings', '42501', NULL, 'but not the bookings themselves');
SELECT throws_ok('SELECT * FROM assignment_v3.process_pending()', '42501', NULL, 'nor the pipeline');
RESET ROLE;

-- Every SECURITY DEFINER function pins search_path.
SELECT is_empty(
    $$SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
      WHERE n.nspname IN ('assignment_v3', 'assignment_v3_internal') AND p.prosecdef
        AND NOT coalesce(p.proconfig::text[] && ARRAY['search_path=pg_catalog, pg_temp'], false)$$,
    'every SECURITY DEFINER function sets search_path = pg_catalog, pg_temp');
SELECT cmp_ok((SELECT count(*)::int FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
               WHERE n.nspname = 'assignment_v3' AND p.prosecdef), '>=', 15, 'the statistics are SECURITY DEFINER');

SELECT * FROM finish();
ROLLBACK;
