--------------------------------------------------------------------------------------------
-- Inventory changes: seated bookings whose tables can no longer seat them
--------------------------------------------------------------------------------------------
-- When a table is deactivated, loses seats below a party seated at it, moves to another zone,
-- or loses an adjacency a combination needs, the upcoming bookings it affects go back through
-- the pipeline (coordinator.start with trigger 'inventory_change'): their tables released, one
-- transition confirmed -> created each, then re-seated by optimal_fit over what is left, or
-- sent to manual review (no_table_after_inventory_change). Bookings under way keep their seats
-- and are reported (a WARNING, and check_invariants()). docs/architecture.md, "Inventory changes".

-- True when the tables are connected by the restaurant's adjacency (a combination can be
-- pushed together).
CREATE FUNCTION assignment_v3_internal.tables_connected(restaurant uuid, tables uuid[]) RETURNS boolean
LANGUAGE sql STABLE
AS $$
    WITH RECURSIVE reached(id) AS (
        SELECT tables[1]
        UNION
        SELECT CASE WHEN e.table_a = r.id THEN e.table_b ELSE e.table_a END
        FROM reached r
        JOIN assignment_v3.table_adjacency e
          ON e.restaurant_id = restaurant AND (e.table_a = r.id OR e.table_b = r.id)
        WHERE CASE WHEN e.table_a = r.id THEN e.table_b ELSE e.table_a END = ANY (tables))
    SELECT count(*) = cardinality(tables) FROM reached
$$;
REVOKE ALL ON FUNCTION assignment_v3_internal.tables_connected(uuid, uuid[]) FROM PUBLIC;

-- Confirmed bookings not yet over (of the given restaurants; NULL: all) whose tables can no
-- longer seat them as assigned: a table inactive; fewer seats than the party; a combination
-- whose tables are no longer in one zone or no longer adjacent. (An operator's manual seating
-- need not be a combination of adjacent tables: it is checked for active tables and seats.)
-- `invariant` is the name check_invariants() reports, `reason` the re-seating's reason.
CREATE FUNCTION assignment_v3_internal.seating_problems(restaurant_ids uuid[])
RETURNS TABLE (booking_id uuid, restaurant_id uuid, invariant text, reason text, detail text,
               under_way boolean)
LANGUAGE sql STABLE
AS $$
    WITH seated AS (
        SELECT b.id, b.restaurant_id, b.party_size, b.start_at,
               array_agg(t.id ORDER BY t.id) AS tables,
               string_agg(t.label, '+' ORDER BY t.label) AS labels,
               string_agg(t.label, '+' ORDER BY t.label) FILTER (WHERE NOT t.active) AS inactive,
               sum(t.capacity) AS seats,
               count(DISTINCT t.zone) AS zones,
               bool_or(a.pipeline = 'manual') AS manual
        FROM assignment_v3.bookings b
        JOIN assignment_v3.table_assignments a ON a.booking_id = b.id
        JOIN assignment_v3.restaurant_tables t ON t.id = a.table_id
        WHERE b.assignment_state = 'confirmed' AND b.end_at > now()
          AND (restaurant_ids IS NULL OR b.restaurant_id = ANY (restaurant_ids))
        GROUP BY b.id)
    SELECT s.id, s.restaurant_id, p.invariant, p.reason, p.detail, s.start_at <= now()
    FROM seated s
    CROSS JOIN LATERAL (
        SELECT 'confirmed_on_inactive_table' AS invariant, 'table_inactive' AS reason,
               format('table %s is inactive', s.inactive) AS detail
        WHERE s.inactive IS NOT NULL
        UNION ALL
        SELECT 'confirmed_without_enough_seats', 'too_few_seats',
               format('party of %s, %s seats at %s', s.party_size, s.seats, s.labels)
        WHERE s.seats < s.party_size
        UNION ALL
        SELECT 'confirmed_on_tables_not_combinable', 'tables_not_combinable',
               CASE WHEN s.zones > 1 THEN format('%s are in %s zones', s.labels, s.zones)
                    ELSE format('%s are no longer adjacent', s.labels) END
        WHERE cardinality(s.tables) > 1 AND NOT s.manual
          AND (s.zones > 1 OR NOT assignment_v3_internal.tables_connected(s.restaurant_id, s.tables))
    ) p
$$;
REVOKE ALL ON FUNCTION assignment_v3_internal.seating_problems(uuid[]) FROM PUBLIC;

-- Re-seats the upcoming bookings of the restaurants a statement changed (their rows are the
-- statement's transition table changed_rows), reports those under way.
CREATE FUNCTION assignment_v3_internal.reseat_affected_bookings() RETURNS trigger
    AS 'MODULE_PATHNAME', 'av3_reseat_affected_bookings' LANGUAGE C SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp;
REVOKE ALL ON FUNCTION assignment_v3_internal.reseat_affected_bookings() FROM PUBLIC;
CREATE TRIGGER restaurant_tables_reseat
    AFTER UPDATE ON restaurant_tables
    REFERENCING NEW TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION assignment_v3_internal.reseat_affected_bookings();
CREATE TRIGGER table_adjacency_reseat_after_delete
    AFTER DELETE ON table_adjacency
    REFERENCING OLD TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION assignment_v3_internal.reseat_affected_bookings();
CREATE TRIGGER table_adjacency_reseat_after_update
    AFTER UPDATE ON table_adjacency
    REFERENCING OLD TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION assignment_v3_internal.reseat_affected_bookings();

-- A table with seatings is not deleted: its upcoming bookings would lose their seats without a
-- word, and past ones their history. Deactivating it re-seats the upcoming ones.
CREATE FUNCTION assignment_v3_internal.restaurant_tables_delete_guard() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    upcoming bigint;
    past     bigint;
BEGIN
    SELECT count(*) FILTER (WHERE upper(a.during) > now()), count(*) FILTER (WHERE upper(a.during) <= now())
      INTO upcoming, past
      FROM assignment_v3.table_assignments a WHERE a.table_id = OLD.id;
    IF upcoming > 0 THEN
        RAISE EXCEPTION 'table % (%) has % upcoming seating(s)', OLD.label, OLD.id, upcoming
            USING ERRCODE = 'object_in_use',
                  DETAIL = 'Deleting it would leave those bookings without a seat.',
                  HINT = format('Deactivate it first: UPDATE assignment_v3.restaurant_tables SET active = false '
                                'WHERE id = %L; its upcoming bookings are then re-seated.', OLD.id);
    END IF;
    IF past > 0 THEN
        RAISE EXCEPTION 'table % (%) is part of % past seating(s)', OLD.label, OLD.id, past
            USING ERRCODE = 'object_in_use',
                  DETAIL = 'Deleting it would drop the history of the bookings seated there.',
                  HINT = format('Keep it inactive instead: UPDATE assignment_v3.restaurant_tables SET active = false '
                                'WHERE id = %L.', OLD.id);
    END IF;
    RETURN OLD;
END;
$$;
REVOKE ALL ON FUNCTION assignment_v3_internal.restaurant_tables_delete_guard() FROM PUBLIC;
CREATE TRIGGER restaurant_tables_delete_guard
    BEFORE DELETE ON restaurant_tables
    FOR EACH ROW EXECUTE FUNCTION assignment_v3_internal.restaurant_tables_delete_guard();
