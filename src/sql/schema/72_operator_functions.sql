--------------------------------------------------------------------------------------------
-- Operator functions
--------------------------------------------------------------------------------------------
-- Not executable by PUBLIC (see the pipeline functions).

CREATE FUNCTION cancel_booking(booking_id uuid) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    current_status text;
BEGIN
    IF booking_id IS NULL THEN
        RAISE EXCEPTION 'booking_id must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF pg_is_in_recovery() THEN
        RAISE EXCEPTION 'assignment_v3.cancel_booking() cannot run on a standby'
            USING ERRCODE = 'read_only_sql_transaction',
                  DETAIL = 'This server is in recovery (a streaming standby); bookings change on the primary.',
                  HINT = 'Connect to the primary, or promote this server.';
    END IF;
    SELECT b.status INTO current_status FROM assignment_v3.bookings b WHERE b.id = booking_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'booking % does not exist', booking_id
            USING ERRCODE = 'no_data_found', HINT = 'Check the id against assignment_v3.bookings.';
    END IF;
    IF current_status = 'cancelled' THEN
        RETURN false;
    END IF;
    -- The bookings triggers release the tables, wake waiting retries and record the transition.
    UPDATE assignment_v3.bookings b SET status = 'cancelled' WHERE b.id = booking_id;
    RETURN true;
END;
$$;
COMMENT ON FUNCTION cancel_booking(uuid) IS
    'Cancels a booking: releases its tables and makes the restaurant''s waiting retries due now. '
    'Returns false when it was already cancelled.'
    ' Example: SELECT assignment_v3.cancel_booking(:''booking_id'');';
REVOKE ALL ON FUNCTION cancel_booking(uuid) FROM PUBLIC;

CREATE FUNCTION requeue(booking_id uuid) RETURNS text
AS 'MODULE_PATHNAME', 'av3_requeue' LANGUAGE C VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION requeue(uuid) IS
    'Takes a booking out of manual_review: back to created, attempts reset, due now.'
    ' Example: SELECT assignment_v3.requeue(:''booking_id'');';
REVOKE ALL ON FUNCTION requeue(uuid) FROM PUBLIC;

CREATE FUNCTION assign_manually(booking_id uuid, table_ids uuid[]) RETURNS uuid[]
AS 'MODULE_PATHNAME', 'av3_assign_manually' LANGUAGE C VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION assign_manually(uuid, uuid[]) IS
    'Seats a booking at the given tables (pipeline manual), replacing any tables it had. '
    'Refuses tables of another restaurant, inactive or too few seats, and overlaps.'
    ' Example: SELECT assignment_v3.assign_manually(:''booking_id'', ARRAY[:''table_a'', :''table_b'']::uuid[]);';
REVOKE ALL ON FUNCTION assign_manually(uuid, uuid[]) FROM PUBLIC;

CREATE FUNCTION purge_old_events(batch integer DEFAULT 10000) RETURNS bigint
AS 'MODULE_PATHNAME', 'av3_purge_old_events' LANGUAGE C VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION purge_old_events(integer) IS
    'Deletes up to batch events older than assignment_v3.event_retention (and, once none is left, '
    'the rollups and shadow plans older than it); returns the events deleted. Worker 0 runs it.'
    ' Example: SELECT assignment_v3.purge_old_events();';
REVOKE ALL ON FUNCTION purge_old_events(integer) FROM PUBLIC;

-- Grants a role what the workers need, and nothing more: ALTER SYSTEM SET assignment_v3.role
-- to that role (with LOGIN) and restart, and the workers run without superuser privileges.
CREATE FUNCTION grant_worker_privileges(worker_role name) RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = worker_role) THEN
        RAISE EXCEPTION 'role "%" does not exist', worker_role
            USING ERRCODE = 'undefined_object',
                  HINT = format('CREATE ROLE %I LOGIN; then call this function again.', worker_role);
    END IF;
    EXECUTE format('GRANT USAGE ON SCHEMA assignment_v3, assignment_v3_internal TO %I', worker_role);
    EXECUTE format('GRANT SELECT ON assignment_v3.restaurants, assignment_v3.restaurant_tables,
                    assignment_v3.table_adjacency, assignment_v3.restaurant_rollout TO %I', worker_role);
    EXECUTE format('GRANT SELECT, UPDATE ON assignment_v3.bookings TO %I', worker_role);
    EXECUTE format('GRANT SELECT, INSERT, DELETE ON assignment_v3.table_assignments,
                    assignment_v3.observability_events TO %I', worker_role);
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON assignment_v3.shadow_plans TO %I', worker_role);
    -- Worker 0 settles the seatings that have ended (settle_seatings()).
    EXECUTE format('GRANT UPDATE (settled) ON assignment_v3.table_assignments TO %I', worker_role);
    EXECUTE format('GRANT SELECT, INSERT, UPDATE ON assignment_v3_internal.settled_horizon TO %I', worker_role);
    -- The rollups: the workers count their own events into them (and purge them with the events).
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON assignment_v3_internal.event_rollup,
                    assignment_v3_internal.latency_rollup TO %I', worker_role);
    -- The kill switch: every worker reads it, worker 0 trips it from the gate's verdict.
    EXECUTE format('GRANT SELECT, INSERT, UPDATE ON assignment_v3_internal.kill_switch TO %I', worker_role);
    EXECUTE format('GRANT EXECUTE ON FUNCTION
                    assignment_v3.rollout_gate(interval, numeric, numeric, numeric, integer, integer, timestamptz),
                    assignment_v3.rollout_evidence(interval, timestamptz) TO %I', worker_role);
END;
$$;
COMMENT ON FUNCTION grant_worker_privileges(name) IS
    'Grants a role exactly what the workers need (see docs/operations.md).'
    ' Example: SELECT assignment_v3.grant_worker_privileges(''assignment_v3_worker'');';
REVOKE ALL ON FUNCTION grant_worker_privileges(name) FROM PUBLIC;

CREATE FUNCTION reset_circuit_breaker() RETURNS void
AS 'MODULE_PATHNAME', 'av3_reset_circuit_breaker' LANGUAGE C VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION reset_circuit_breaker() IS
    'Closes the circuit breaker at once (after the cause of the errors is fixed).'
    ' Example: SELECT assignment_v3.reset_circuit_breaker();';
REVOKE ALL ON FUNCTION reset_circuit_breaker() FROM PUBLIC;
