--------------------------------------------------------------------------------------------
-- Running the pipeline from SQL (the workers run exactly this code)
--------------------------------------------------------------------------------------------
-- Not executable by PUBLIC: a DBA grants them to the roles that operate the pipeline (they are
-- SECURITY DEFINER with a pinned search_path, so EXECUTE is all such a role needs).

CREATE FUNCTION process_pending(max_bookings integer DEFAULT 1000)
RETURNS TABLE (booking_id uuid, pipeline text, outcome text, reason text)
AS 'MODULE_PATHNAME', 'av3_process_pending' LANGUAGE C VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION process_pending(integer) IS
    'Claims up to max_bookings due bookings and processes them in the calling transaction, '
    'exactly as a worker does; returns one row per invocation.'
    ' Example: SELECT * FROM assignment_v3.process_pending(100);';
REVOKE ALL ON FUNCTION process_pending(integer) FROM PUBLIC;

CREATE FUNCTION assign_booking(booking_id uuid, pipeline text DEFAULT NULL)
RETURNS TABLE (outcome text, reason text, table_ids uuid[], pipeline text)
AS 'MODULE_PATHNAME', 'av3_assign_booking' LANGUAGE C VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION assign_booking(uuid, text) IS
    'Processes one booking now, whatever its next_attempt_at. pipeline: NULL (the restaurant''s '
    'rollout mode), ''v3'', ''legacy'' or ''shadow''.'
    ' Example: SELECT * FROM assignment_v3.assign_booking(:''booking_id'');';
REVOKE ALL ON FUNCTION assign_booking(uuid, text) FROM PUBLIC;
