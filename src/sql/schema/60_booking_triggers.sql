--------------------------------------------------------------------------------------------
-- Triggers implemented in the library (docs/architecture.md, "the write path")
--------------------------------------------------------------------------------------------
-- Trigger functions are SECURITY DEFINER with a pinned search_path: an application role needs
-- privileges on bookings only, and whatever its search_path holds is never called.

-- Guards the state machine: refuses state writes that do not come from the coordinator or
-- the operator functions, turns a change of party size or time into a reset to 'created'
-- (releasing the tables), and a change of status to 'cancelled' into a cancellation. Lets in
-- the rows of a restore (a superuser's COPY, as pg_restore and psql run it).
CREATE FUNCTION assignment_v3_internal.bookings_guard() RETURNS trigger
    AS 'MODULE_PATHNAME', 'av3_bookings_guard' LANGUAGE C SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp;
REVOKE ALL ON FUNCTION assignment_v3_internal.bookings_guard() FROM PUBLIC;
CREATE TRIGGER bookings_guard
    BEFORE INSERT OR UPDATE ON bookings
    FOR EACH ROW EXECUTE FUNCTION assignment_v3_internal.bookings_guard();

-- At the end of each statement over bookings: applies what the guard decided for its rows (the
-- tables of modified and cancelled bookings released, one transition event each, the waiting
-- retries of their restaurants woken after cancellations), and wakes a coordinator worker when
-- the transaction commits.
CREATE FUNCTION assignment_v3_internal.bookings_wake_workers() RETURNS trigger
    AS 'MODULE_PATHNAME', 'av3_bookings_wake_workers' LANGUAGE C SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp;
REVOKE ALL ON FUNCTION assignment_v3_internal.bookings_wake_workers() FROM PUBLIC;
CREATE TRIGGER bookings_wake_workers
    AFTER INSERT OR UPDATE ON bookings
    FOR EACH STATEMENT EXECUTE FUNCTION assignment_v3_internal.bookings_wake_workers();

-- Deleted bookings freed their tables (ON DELETE CASCADE): the waiting retries of their
-- restaurants become due.
CREATE FUNCTION assignment_v3_internal.bookings_deleted() RETURNS trigger
    AS 'MODULE_PATHNAME', 'av3_bookings_deleted' LANGUAGE C SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp;
REVOKE ALL ON FUNCTION assignment_v3_internal.bookings_deleted() FROM PUBLIC;
CREATE TRIGGER bookings_deleted
    AFTER DELETE ON bookings
    REFERENCING OLD TABLE AS deleted_bookings
    FOR EACH STATEMENT EXECUTE FUNCTION assignment_v3_internal.bookings_deleted();

-- Tells every worker, after commit, that inventories or rollout overrides changed.
CREATE FUNCTION assignment_v3_internal.inventory_changed() RETURNS trigger
    AS 'MODULE_PATHNAME', 'av3_inventory_changed' LANGUAGE C SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp;
REVOKE ALL ON FUNCTION assignment_v3_internal.inventory_changed() FROM PUBLIC;
CREATE TRIGGER restaurants_inventory_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON restaurants
    FOR EACH STATEMENT EXECUTE FUNCTION assignment_v3_internal.inventory_changed();
CREATE TRIGGER restaurant_tables_inventory_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON restaurant_tables
    FOR EACH STATEMENT EXECUTE FUNCTION assignment_v3_internal.inventory_changed();
CREATE TRIGGER table_adjacency_inventory_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON table_adjacency
    FOR EACH STATEMENT EXECUTE FUNCTION assignment_v3_internal.inventory_changed();
CREATE TRIGGER restaurant_rollout_inventory_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON restaurant_rollout
    FOR EACH STATEMENT EXECUTE FUNCTION assignment_v3_internal.inventory_changed();

-- The workers keep restaurants' schedules between batches (docs/architecture.md, "Schedules"):
-- a change to table_assignments the extension did not make itself tells them to read again.
CREATE FUNCTION assignment_v3_internal.assignments_changed() RETURNS trigger
    AS 'MODULE_PATHNAME', 'av3_assignments_changed' LANGUAGE C SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp;
REVOKE ALL ON FUNCTION assignment_v3_internal.assignments_changed() FROM PUBLIC;
CREATE TRIGGER table_assignments_changed
    AFTER INSERT OR UPDATE OR DELETE ON table_assignments
    FOR EACH STATEMENT EXECUTE FUNCTION assignment_v3_internal.assignments_changed();
CREATE TRIGGER table_assignments_truncated
    AFTER TRUNCATE ON table_assignments
    FOR EACH STATEMENT EXECUTE FUNCTION assignment_v3_internal.assignments_changed();
