--------------------------------------------------------------------------------------------
-- Restaurants, their tables, and which tables can be pushed together
--------------------------------------------------------------------------------------------

-- True when `tz` names a time zone Postgres knows (as accepted by AT TIME ZONE). Called by a
-- check constraint, hence executable by everyone who may insert restaurants.
CREATE FUNCTION assignment_v3_internal.is_known_timezone(tz text) RETURNS boolean
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM now() AT TIME ZONE tz;
    RETURN true;
EXCEPTION WHEN invalid_parameter_value THEN
    RETURN false;
END;
$$;
GRANT EXECUTE ON FUNCTION assignment_v3_internal.is_known_timezone(text) TO PUBLIC;

CREATE TABLE restaurants (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name                text NOT NULL
        CONSTRAINT restaurants_name_must_not_be_blank CHECK (btrim(name) <> ''),
    timezone            text NOT NULL DEFAULT 'UTC'
        CONSTRAINT restaurants_timezone_must_be_known CHECK (assignment_v3_internal.is_known_timezone(timezone)),
    turn_buffer         interval NOT NULL DEFAULT '0'
        CONSTRAINT restaurants_turn_buffer_between_0_and_4_hours
            CHECK (turn_buffer >= interval '0' AND turn_buffer <= interval '4 hours'),
    max_covers_per_slot integer
        CONSTRAINT restaurants_max_covers_per_slot_must_be_positive
            CHECK (max_covers_per_slot IS NULL OR max_covers_per_slot > 0),
    created_at          timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE restaurants IS
    'Restaurants served by assignment_v3. turn_buffer is kept free after each seating; '
    'max_covers_per_slot caps the guests seated at any instant (NULL: no cap).';
COMMENT ON COLUMN restaurants.id IS 'Restaurant id (generated when omitted).';
COMMENT ON COLUMN restaurants.name IS 'Display name; not blank.';
COMMENT ON COLUMN restaurants.timezone IS 'IANA time zone of the restaurant (informational; times are timestamptz).';
COMMENT ON COLUMN restaurants.turn_buffer IS 'Time a table stays free after a seating ends, 0 to 4 hours.';
COMMENT ON COLUMN restaurants.max_covers_per_slot IS 'Most guests seated at any instant; NULL: no cap.';
COMMENT ON COLUMN restaurants.created_at IS 'When the restaurant was added.';
-- Business data: pg_dump keeps its rows (the extension's own objects are not dumped).
SELECT pg_catalog.pg_extension_config_dump('restaurants', '');
REVOKE ALL ON TABLE restaurants FROM PUBLIC;

CREATE TABLE restaurant_tables (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    restaurant_id uuid NOT NULL REFERENCES restaurants (id) ON DELETE CASCADE,
    label         text NOT NULL
        CONSTRAINT restaurant_tables_label_must_not_be_blank CHECK (btrim(label) <> ''),
    capacity      integer NOT NULL
        CONSTRAINT restaurant_tables_capacity_between_1_and_100 CHECK (capacity BETWEEN 1 AND 100),
    min_party     integer NOT NULL DEFAULT 1
        CONSTRAINT restaurant_tables_min_party_between_1_and_capacity
            CHECK (min_party >= 1 AND min_party <= capacity),
    zone          text NOT NULL DEFAULT 'main'
        CONSTRAINT restaurant_tables_zone_must_not_be_blank CHECK (btrim(zone) <> ''),
    active        boolean NOT NULL DEFAULT true,
    CONSTRAINT restaurant_tables_label_unique_per_restaurant UNIQUE (restaurant_id, label),
    -- Target of the composite foreign keys that keep adjacency and assignments inside one
    -- restaurant.
    CONSTRAINT restaurant_tables_restaurant_id_id_key UNIQUE (restaurant_id, id)
);
COMMENT ON TABLE restaurant_tables IS
    'Tables of a restaurant. Inactive tables are never assigned; zones bound combinations. '
    'Deactivating a table, shrinking it, moving it to another zone or removing an adjacency '
    're-seats the upcoming bookings it affects.';
COMMENT ON COLUMN restaurant_tables.id IS 'Table id (generated when omitted).';
COMMENT ON COLUMN restaurant_tables.restaurant_id IS 'The restaurant the table belongs to.';
COMMENT ON COLUMN restaurant_tables.label IS 'Label, unique within the restaurant (the legacy planner seats in label order).';
COMMENT ON COLUMN restaurant_tables.capacity IS 'Seats, 1 to 100.';
COMMENT ON COLUMN restaurant_tables.min_party IS 'Smallest party the table is given to, 1 to capacity.';
COMMENT ON COLUMN restaurant_tables.zone IS 'Zone (room, terrace, ...): combinations stay within one zone.';
COMMENT ON COLUMN restaurant_tables.active IS 'false: never assigned (deactivate a table instead of deleting it).';
SELECT pg_catalog.pg_extension_config_dump('restaurant_tables', '');
REVOKE ALL ON TABLE restaurant_tables FROM PUBLIC;

CREATE TABLE table_adjacency (
    restaurant_id uuid NOT NULL,
    table_a       uuid NOT NULL,
    table_b       uuid NOT NULL,
    CONSTRAINT table_adjacency_pkey PRIMARY KEY (restaurant_id, table_a, table_b),
    CONSTRAINT table_adjacency_stored_once_in_id_order CHECK (table_a < table_b),
    CONSTRAINT table_adjacency_table_a_fkey FOREIGN KEY (restaurant_id, table_a)
        REFERENCES restaurant_tables (restaurant_id, id) ON DELETE CASCADE,
    CONSTRAINT table_adjacency_table_b_fkey FOREIGN KEY (restaurant_id, table_b)
        REFERENCES restaurant_tables (restaurant_id, id) ON DELETE CASCADE
);
COMMENT ON TABLE table_adjacency IS
    'Undirected edges between tables that can be pushed together (same restaurant, same zone). '
    'Insert in either order: a trigger stores the pair once, smaller id first.';
COMMENT ON COLUMN table_adjacency.restaurant_id IS 'The restaurant of both tables.';
COMMENT ON COLUMN table_adjacency.table_a IS 'One table of the pair (the smaller id once stored).';
COMMENT ON COLUMN table_adjacency.table_b IS 'The other table of the pair.';
SELECT pg_catalog.pg_extension_config_dump('table_adjacency', '');
REVOKE ALL ON TABLE table_adjacency FROM PUBLIC;

-- Normalises the edge (smaller id first) and refuses what can never be combined, with a
-- message that names the tables.
CREATE FUNCTION assignment_v3_internal.table_adjacency_check() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    zone_a text;
    zone_b text;
    swap   uuid;
BEGIN
    IF NEW.table_a = NEW.table_b THEN
        RAISE EXCEPTION 'a table cannot be adjacent to itself'
            USING ERRCODE = 'check_violation',
                  DETAIL = format('table_a and table_b are both %s.', NEW.table_a),
                  HINT = 'Adjacency pairs two different tables that can be pushed together.';
    END IF;
    IF NEW.table_a > NEW.table_b THEN
        swap := NEW.table_a; NEW.table_a := NEW.table_b; NEW.table_b := swap;
    END IF;
    SELECT zone INTO zone_a FROM assignment_v3.restaurant_tables
     WHERE id = NEW.table_a AND restaurant_id = NEW.restaurant_id;
    SELECT zone INTO zone_b FROM assignment_v3.restaurant_tables
     WHERE id = NEW.table_b AND restaurant_id = NEW.restaurant_id;
    IF zone_a IS NOT NULL AND zone_b IS NOT NULL AND zone_a <> zone_b THEN
        RAISE EXCEPTION 'tables in different zones cannot be adjacent'
            USING ERRCODE = 'check_violation',
                  DETAIL = format('Table %s is in zone "%s", table %s in zone "%s".',
                                  NEW.table_a, zone_a, NEW.table_b, zone_b),
                  HINT = 'Combinations stay within one zone; move the tables to the same zone first.';
    END IF;
    RETURN NEW;
END;
$$;
REVOKE ALL ON FUNCTION assignment_v3_internal.table_adjacency_check() FROM PUBLIC;

CREATE TRIGGER table_adjacency_check
    BEFORE INSERT OR UPDATE ON table_adjacency
    FOR EACH ROW EXECUTE FUNCTION assignment_v3_internal.table_adjacency_check();
