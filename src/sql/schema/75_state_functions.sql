--------------------------------------------------------------------------------------------
-- State of the extension: status(), the workers, the circuit breaker, rollout look-ups
--------------------------------------------------------------------------------------------
-- Readable by pg_monitor (and on a streaming standby: they read shared memory and tables only).

CREATE FUNCTION restaurant_mode(restaurant_id uuid) RETURNS text
AS 'MODULE_PATHNAME', 'av3_restaurant_mode' LANGUAGE C STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION restaurant_mode(uuid) IS
    'The pipeline serving a restaurant under the current settings: v3, shadow, legacy or off.'
    ' Example: SELECT name, assignment_v3.restaurant_mode(id) FROM assignment_v3.restaurants;';
REVOKE ALL ON FUNCTION restaurant_mode(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION restaurant_mode(uuid) TO pg_monitor;

CREATE FUNCTION rollout_bucket(restaurant_id uuid) RETURNS integer
AS 'MODULE_PATHNAME', 'av3_rollout_bucket' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION rollout_bucket(uuid) IS
    'The restaurant''s stable bucket 0..99: it runs V3 when its bucket is below rollout_percent.'
    ' Example: SELECT name, assignment_v3.rollout_bucket(id) FROM assignment_v3.restaurants ORDER BY 2;';
REVOKE ALL ON FUNCTION rollout_bucket(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION rollout_bucket(uuid) TO pg_monitor;

CREATE FUNCTION restaurant_lock_key(restaurant_id uuid, OUT classid integer, OUT objid integer)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'av3_restaurant_lock_key' LANGUAGE C IMMUTABLE STRICT ROWS 1;
COMMENT ON FUNCTION restaurant_lock_key(uuid) IS
    'The advisory lock keys that serialise work on a restaurant: '
    'pg_advisory_xact_lock(classid, objid) holds off the coordinator.'
    ' Example: SELECT pg_advisory_xact_lock(classid, objid) FROM assignment_v3.restaurant_lock_key(:''restaurant_id'');';
REVOKE ALL ON FUNCTION restaurant_lock_key(uuid) FROM PUBLIC;

CREATE FUNCTION assignment_v3_internal.worker_slots(
    OUT slot integer, OUT pid integer, OUT state text, OUT started_at timestamptz,
    OUT config_loaded_at timestamptz, OUT last_batch_at timestamptz, OUT batches bigint, OUT invocations bigint, OUT confirmed bigint,
    OUT retried bigint, OUT manual_review bigint, OUT noop bigint, OUT errors bigint,
    OUT legacy bigint, OUT shadow_plans bigint, OUT current_booking uuid, OUT last_error text,
    OUT last_error_at timestamptz)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'av3_worker_slots' LANGUAGE C VOLATILE;
REVOKE ALL ON FUNCTION assignment_v3_internal.worker_slots() FROM PUBLIC;
-- The view calls it with the privileges of whoever reads the view.
GRANT EXECUTE ON FUNCTION assignment_v3_internal.worker_slots() TO pg_monitor;

CREATE VIEW workers AS SELECT * FROM assignment_v3_internal.worker_slots();
COMMENT ON VIEW workers IS
    'One row per coordinator worker: its process, state, counters since it started, and last error.';
COMMENT ON COLUMN workers.slot IS 'Worker number, 0 to max_parallel - 1 (worker 0 also runs retention).';
COMMENT ON COLUMN workers.pid IS 'Its process (pg_stat_activity.pid); NULL while it starts.';
COMMENT ON COLUMN workers.state IS 'starting, idle, processing, backoff (after an error) or paused.';
COMMENT ON COLUMN workers.started_at IS 'When the process started.';
COMMENT ON COLUMN workers.config_loaded_at IS 'When it last read the configuration (start or reload).';
COMMENT ON COLUMN workers.last_batch_at IS 'When it last finished a batch.';
COMMENT ON COLUMN workers.batches IS 'Batches since it started.';
COMMENT ON COLUMN workers.invocations IS 'Invocations (V3 and legacy) since it started.';
COMMENT ON COLUMN workers.confirmed IS 'Invocations that seated the booking.';
COMMENT ON COLUMN workers.retried IS 'Invocations that scheduled a retry.';
COMMENT ON COLUMN workers.manual_review IS 'Invocations that sent the booking to manual review.';
COMMENT ON COLUMN workers.noop IS 'Invocations that changed nothing (already decided, lock held elsewhere, ...).';
COMMENT ON COLUMN workers.errors IS 'Invocations and batches that failed unexpectedly.';
COMMENT ON COLUMN workers.legacy IS 'Invocations served by the legacy planner.';
COMMENT ON COLUMN workers.shadow_plans IS 'Shadow plans written.';
COMMENT ON COLUMN workers.current_booking IS 'The booking it is deciding now.';
COMMENT ON COLUMN workers.last_error IS 'Its last error message.';
COMMENT ON COLUMN workers.last_error_at IS 'When that error happened.';
GRANT SELECT ON workers TO pg_monitor;

CREATE FUNCTION circuit_breaker(
    OUT state text, OUT failures integer, OUT trips bigint, OUT opened_at timestamptz,
    OUT last_failure_at timestamptz, OUT shared boolean)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'av3_circuit_breaker' LANGUAGE C VOLATILE ROWS 1;
COMMENT ON FUNCTION circuit_breaker() IS
    'The shared circuit breaker: closed, open or half_open, failures in the current window, trips since the server started.'
    ' Example: SELECT * FROM assignment_v3.circuit_breaker();';
REVOKE ALL ON FUNCTION circuit_breaker() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION circuit_breaker() TO pg_monitor;

CREATE FUNCTION launcher(OUT state text, OUT pid integer, OUT started_at timestamptz, OUT database text)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'av3_launcher' LANGUAGE C VOLATILE ROWS 1;
COMMENT ON FUNCTION launcher() IS
    'The launcher: its state (running, waiting for database, waiting for extension, not running, ...), process and database.'
    ' Example: SELECT * FROM assignment_v3.launcher();';
REVOKE ALL ON FUNCTION launcher() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION launcher() TO pg_monitor;

-- Whether the workers serve, and if not, why: paused, a restore in progress, library and
-- extension versions that disagree, a standby, not preloaded.
CREATE FUNCTION assignment_v3_internal.service_state(
    OUT service text, OUT detail text, OUT library_version text, OUT in_recovery boolean)
RETURNS record
AS 'MODULE_PATHNAME', 'av3_service_state' LANGUAGE C VOLATILE;
REVOKE ALL ON FUNCTION assignment_v3_internal.service_state() FROM PUBLIC;

-- Tells the launcher, at commit, that the extension now exists here (CREATE EXTENSION and
-- ALTER EXTENSION UPDATE run it).
CREATE FUNCTION assignment_v3_internal.attach_workers() RETURNS boolean
AS 'MODULE_PATHNAME', 'av3_attach_workers' LANGUAGE C VOLATILE;
REVOKE ALL ON FUNCTION assignment_v3_internal.attach_workers() FROM PUBLIC;

CREATE FUNCTION status(
    OUT mode text, OUT enabled boolean, OUT shadow boolean, OUT legacy_planner boolean,
    OUT rollout_percent integer, OUT max_parallel integer, OUT launcher text, OUT workers_running integer,
    OUT queue_depth bigint, OUT due_now bigint, OUT oldest_due timestamptz, OUT manual_review bigint,
    OUT circuit_state text, OUT circuit_trips bigint, OUT service text, OUT service_detail text,
    OUT extension_version text, OUT library_version text, OUT auto_rollback text,
    OUT auto_rollback_at timestamptz, OUT auto_rollback_reason text)
RETURNS record
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE
               WHEN current_setting('assignment_v3.enabled')::boolean AND k.tripped_at IS NULL
                   THEN CASE WHEN current_setting('assignment_v3.rollout_percent')::int = 100
                             THEN 'v3' ELSE 'v3 partial' END
               WHEN current_setting('assignment_v3.shadow')::boolean
                    AND current_setting('assignment_v3.legacy_planner')::boolean THEN 'shadow'
               WHEN current_setting('assignment_v3.legacy_planner')::boolean THEN 'legacy'
               ELSE 'off'
           END,
           current_setting('assignment_v3.enabled')::boolean,
           current_setting('assignment_v3.shadow')::boolean,
           current_setting('assignment_v3.legacy_planner')::boolean,
           current_setting('assignment_v3.rollout_percent')::int,
           current_setting('assignment_v3.max_parallel')::int,
           (SELECT l.state FROM assignment_v3.launcher() l),
           (SELECT count(*)::int FROM assignment_v3.workers w WHERE w.pid IS NOT NULL),
           q.queue_depth, q.due_now, q.oldest_due,
           (SELECT count(*) FROM assignment_v3.bookings b WHERE b.assignment_state = 'manual_review'),
           c.state, c.trips,
           s.service, s.detail,
           (SELECT e.extversion FROM pg_catalog.pg_extension e WHERE e.extname = 'assignment_v3'),
           s.library_version,
           CASE WHEN k.tripped_at IS NOT NULL THEN 'tripped'
                WHEN current_setting('assignment_v3.auto_rollback')::boolean THEN 'armed'
                ELSE 'off' END,
           k.tripped_at, k.reason
    FROM (SELECT count(*) AS queue_depth,
                 count(*) FILTER (WHERE b.next_attempt_at <= now()) AS due_now,
                 min(b.next_attempt_at) FILTER (WHERE b.next_attempt_at <= now()) AS oldest_due
          FROM assignment_v3.bookings b
          WHERE b.status = 'pending' AND b.assignment_state IN ('created', 'retry_scheduled')) q,
         assignment_v3.circuit_breaker() c,
         assignment_v3_internal.service_state() s
         LEFT JOIN assignment_v3_internal.kill_switch k ON true
$$;
COMMENT ON FUNCTION status() IS
    'Effective mode, rollout flags, workers, queue depth, oldest due booking, circuit state, '
    'whether the workers serve (service: serving, paused, restoring, version mismatch, standby, ...) '
    'and the kill switch (auto_rollback: off, armed or tripped, with when and why).'
    ' Example: SELECT * FROM assignment_v3.status();';
REVOKE ALL ON FUNCTION status() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION status() TO pg_monitor;
