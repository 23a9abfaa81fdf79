--------------------------------------------------------------------------------------------
-- Settled seatings: the double-booking index holds the seatings still to come
--------------------------------------------------------------------------------------------
-- Worker 0 settles the seatings that ended more than assignment_v3.settle_after ago
-- (settle_seatings()), so that the exclusion constraint's GiST index, searched for every new
-- seating, does not grow with every seating ever made. A seating that starts before the
-- horizon is checked against the settled seatings of its table by the triggers below (and by
-- the workers' own writes): double booking stays impossible in the past too.

-- Every settled seating ends by the horizon; no row: nothing was ever settled. Not dumped: a
-- restore's rows come in unsettled and settle again.
CREATE TABLE assignment_v3_internal.settled_horizon (
    singleton boolean PRIMARY KEY DEFAULT true
        CONSTRAINT settled_horizon_has_one_row CHECK (singleton),
    horizon   timestamptz NOT NULL
);
COMMENT ON TABLE assignment_v3_internal.settled_horizon IS
    'The settle horizon: every settled seating ends by it. Raised by settle_seatings().';
REVOKE ALL ON TABLE assignment_v3_internal.settled_horizon FROM PUBLIC;

CREATE FUNCTION assignment_v3_internal.settled_seatings_guard() RETURNS trigger
    AS 'MODULE_PATHNAME', 'av3_settled_seatings_guard' LANGUAGE C
    SET search_path = pg_catalog, pg_temp;
REVOKE ALL ON FUNCTION assignment_v3_internal.settled_seatings_guard() FROM PUBLIC;
COMMENT ON FUNCTION assignment_v3_internal.settled_seatings_guard() IS
    'Trigger: rows come in unsettled; a settled seating keeps its table and time; only settle_seatings() settles.';
CREATE TRIGGER table_assignments_settled_guard
    BEFORE INSERT OR UPDATE ON table_assignments
    FOR EACH ROW EXECUTE FUNCTION assignment_v3_internal.settled_seatings_guard();

CREATE FUNCTION assignment_v3_internal.seating_checked_against_settled() RETURNS trigger
    AS 'MODULE_PATHNAME', 'av3_seating_checked_against_settled' LANGUAGE C SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp;
REVOKE ALL ON FUNCTION assignment_v3_internal.seating_checked_against_settled() FROM PUBLIC;
COMMENT ON FUNCTION assignment_v3_internal.seating_checked_against_settled() IS
    'Trigger: a seating that starts before the settle horizon must not overlap a settled seating of its table.';
CREATE TRIGGER table_assignments_checked_against_settled
    AFTER INSERT OR UPDATE OF table_id, during ON table_assignments
    FOR EACH ROW WHEN (NOT NEW.settled)
    EXECUTE FUNCTION assignment_v3_internal.seating_checked_against_settled();

CREATE FUNCTION settle_seatings(batch integer DEFAULT 10000) RETURNS bigint
AS 'MODULE_PATHNAME', 'av3_settle_seatings' LANGUAGE C VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION settle_seatings(integer) IS
    'Settles up to batch seatings that ended more than assignment_v3.settle_after ago (they leave '
    'the double-booking index); returns the seatings settled. Worker 0 runs it.'
    ' Example: SELECT assignment_v3.settle_seatings();';
REVOKE ALL ON FUNCTION settle_seatings(integer) FROM PUBLIC;
