-- assignment_v3 1.0: schema, triggers and SQL surface (DESIGN §3, §7, §10).
\echo Use "CREATE EXTENSION assignment_v3" to load this file. \quit

-- The schema belongs to the extension: DROP EXTENSION removes it with everything in it.
CREATE SCHEMA assignment_v3;
COMMENT ON SCHEMA assignment_v3 IS 'assignment_v3: restaurant table assignment (see README.md)';
-- Unqualified names below are created in assignment_v3 (CREATE EXTENSION restores the
-- caller's search_path afterwards).
SET LOCAL search_path = assignment_v3, pg_catalog;

--------------------------------------------------------------------------------------------
-- Validation helpers used by check constraints
--------------------------------------------------------------------------------------------

-- True when `tz` names a time zone Postgres knows (as accepted by AT TIME ZONE).
CREATE FUNCTION is_known_timezone(tz text) RETURNS boolean
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

--------------------------------------------------------------------------------------------
-- Restaurants, tables, adjacency
--------------------------------------------------------------------------------------------

CREATE TABLE restaurants (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name                text NOT NULL
        CONSTRAINT restaurants_name_must_not_be_blank CHECK (btrim(name) <> ''),
    timezone            text NOT NULL DEFAULT 'UTC'
        CONSTRAINT restaurants_timezone_must_be_known CHECK (is_known_timezone(timezone)),
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
    'Tables of a restaurant. Inactive tables are never assigned; zones bound combinations.';

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

-- Normalises the edge (smaller id first) and refuses what can never be combined, with a
-- message that names the tables.
CREATE FUNCTION table_adjacency_check() RETURNS trigger
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

CREATE TRIGGER table_adjacency_check
    BEFORE INSERT OR UPDATE ON table_adjacency
    FOR EACH ROW EXECUTE FUNCTION table_adjacency_check();

--------------------------------------------------------------------------------------------
-- Bookings
--------------------------------------------------------------------------------------------

CREATE TABLE bookings (
    id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    restaurant_id      uuid NOT NULL REFERENCES restaurants (id),
    party_size         integer NOT NULL
        CONSTRAINT bookings_party_size_between_1_and_1000 CHECK (party_size BETWEEN 1 AND 1000),
    start_at           timestamptz NOT NULL
        CONSTRAINT bookings_start_at_must_be_finite CHECK (isfinite(start_at)),
    end_at             timestamptz NOT NULL
        CONSTRAINT bookings_end_at_must_be_finite CHECK (isfinite(end_at)),
    status             text NOT NULL DEFAULT 'pending'
        CONSTRAINT bookings_status_is_pending_confirmed_or_cancelled
            CHECK (status IN ('pending', 'confirmed', 'cancelled')),
    assignment_state   text NOT NULL DEFAULT 'created'
        CONSTRAINT bookings_assignment_state_is_known
            CHECK (assignment_state IN ('created', 'capacity_verified', 'table_selected', 'confirmed',
                                        'retry_scheduled', 'manual_review', 'cancelled')),
    assignment_version integer NOT NULL DEFAULT 0
        CONSTRAINT bookings_assignment_version_must_not_be_negative CHECK (assignment_version >= 0),
    attempts           integer NOT NULL DEFAULT 0
        CONSTRAINT bookings_attempts_must_not_be_negative CHECK (attempts >= 0),
    next_attempt_at    timestamptz NOT NULL DEFAULT now(),
    last_reason        text,
    zone_preference    text,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    -- When the booking (this version of it) started waiting for a table: its insert, or its
    -- last modification or requeue. Latency is measured from here to the confirmation.
    queued_at          timestamptz NOT NULL DEFAULT now(),
    -- Infinite times are the finiteness checks' to report, not these.
    CONSTRAINT bookings_end_at_after_start_at
        CHECK (NOT isfinite(start_at) OR NOT isfinite(end_at) OR end_at > start_at),
    CONSTRAINT bookings_duration_at_most_24_hours
        CHECK (NOT isfinite(start_at) OR NOT isfinite(end_at) OR end_at <= start_at + interval '24 hours'),
    CONSTRAINT bookings_confirmed_status_matches_state
        CHECK ((status = 'confirmed') = (assignment_state = 'confirmed')),
    CONSTRAINT bookings_cancelled_status_matches_state
        CHECK ((status = 'cancelled') = (assignment_state = 'cancelled'))
)
-- A hot queue table: every booking is updated within seconds of its insert. fillfactor
-- leaves room on each page so that new row versions stay on their page (and updates that
-- touch no indexed column are HOT); autovacuum runs after a small fraction of dead rows, so
-- the runnable indexes stay short.
WITH (fillfactor = 85, autovacuum_vacuum_scale_factor = 0.02, autovacuum_analyze_scale_factor = 0.02);
COMMENT ON TABLE bookings IS
    'Bookings to be seated. Applications insert, modify (party_size, start_at, end_at) and cancel '
    '(status = ''cancelled'' or cancel_booking()); assignment_v3 owns assignment_state, '
    'assignment_version, attempts and last_reason.';

-- The claim: runnable bookings by due time, per restaurant (DESIGN §3).
CREATE INDEX bookings_runnable_idx ON bookings (restaurant_id, next_attempt_at)
    WHERE status = 'pending' AND assignment_state IN ('created', 'retry_scheduled');
-- Which restaurants have the oldest due bookings. Its last predicate is always true (a check
-- constraint says so) and only that query states it: the planner can use this index there and
-- nowhere else. Without it, a claim planned while the table looked empty (a worker started
-- before a bulk load) could scan every due booking of every restaurant through this index.
CREATE INDEX bookings_due_idx ON bookings (next_attempt_at)
    WHERE status = 'pending' AND assignment_state IN ('created', 'retry_scheduled') AND assignment_version >= 0;
-- Covers checks and operator look-ups by restaurant and time.
CREATE INDEX bookings_restaurant_start_idx ON bookings (restaurant_id, start_at);

--------------------------------------------------------------------------------------------
-- Table assignments: the exclusion constraint is the last word on double booking
--------------------------------------------------------------------------------------------

CREATE TABLE table_assignments (
    booking_id    uuid NOT NULL REFERENCES bookings (id) ON DELETE CASCADE,
    table_id      uuid NOT NULL,
    restaurant_id uuid NOT NULL,
    during        tstzrange NOT NULL
        CONSTRAINT table_assignments_during_must_be_finite_and_half_open
            CHECK (NOT isempty(during) AND lower_inc(during) AND NOT upper_inc(during)
                   AND isfinite(lower(during)) AND isfinite(upper(during))),
    pipeline      text NOT NULL
        CONSTRAINT table_assignments_pipeline_is_v3_legacy_or_manual
            CHECK (pipeline IN ('v3', 'legacy', 'manual')),
    created_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
    CONSTRAINT table_assignments_pkey PRIMARY KEY (booking_id, table_id),
    CONSTRAINT table_assignments_table_fkey FOREIGN KEY (restaurant_id, table_id)
        REFERENCES restaurant_tables (restaurant_id, id),
    CONSTRAINT table_assignments_no_double_booking
        EXCLUDE USING gist (table_id WITH =, during WITH &&)
);
COMMENT ON TABLE table_assignments IS
    'Which tables seat which booking, for [start_at, end_at + turn_buffer). The exclusion '
    'constraint makes double booking impossible whatever the concurrency.';
-- What a restaurant has booked around a time: a btree on the start of the range. Assignments
-- last at most 28 hours (bookings at most 24, turn buffers at most 4: check constraints), so
-- "overlaps [a, b)" is the range scan "starts in [a - 28 hours, b)" plus a filter. Cheaper to
-- maintain and to search than a second GiST index.
CREATE INDEX table_assignments_restaurant_start_idx ON table_assignments (restaurant_id, lower(during));

--------------------------------------------------------------------------------------------
-- Observability events: what the runbook's queries read
--------------------------------------------------------------------------------------------

CREATE TABLE observability_events (
    -- Each backend takes ids 100 at a time (a worker writes hundreds of events per batch), so
    -- ids increase within a backend but not strictly across backends: order a booking's events
    -- by (created_at, id).
    id            bigint GENERATED ALWAYS AS IDENTITY (CACHE 100) PRIMARY KEY,
    created_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
    source        text NOT NULL,
    event_type    text NOT NULL,
    severity      text NOT NULL DEFAULT 'info'
        CONSTRAINT observability_events_severity_is_known
            CHECK (severity IN ('debug', 'info', 'warning', 'error')),
    booking_id    uuid,
    restaurant_id uuid,
    context       jsonb NOT NULL DEFAULT '{}'
        CONSTRAINT observability_events_context_is_an_object CHECK (jsonb_typeof(context) = 'object')
);
COMMENT ON TABLE observability_events IS
    'Telemetry written by the coordinator (assignment.coordinator), the state machine '
    '(assignment.state_machine) and the legacy planner (auto_assign). Kept for '
    'assignment_v3.event_retention.';
CREATE INDEX observability_events_source_created_at_idx
    ON observability_events (source, created_at);
CREATE INDEX observability_events_booking_idx ON observability_events (booking_id);
-- Append-only and time-ordered: a BRIN index answers time windows and retention cheaply.
CREATE INDEX observability_events_created_at_brin ON observability_events USING brin (created_at);

--------------------------------------------------------------------------------------------
-- Shadow plans and rollout overrides
--------------------------------------------------------------------------------------------

CREATE TABLE shadow_plans (
    booking_id         uuid NOT NULL REFERENCES bookings (id) ON DELETE CASCADE,
    assignment_version integer NOT NULL,
    restaurant_id      uuid NOT NULL,
    outcome            text NOT NULL
        CONSTRAINT shadow_plans_outcome_is_known
            CHECK (outcome IN ('confirmed', 'retry', 'manual_review')),
    reason             text,
    table_ids          uuid[] NOT NULL DEFAULT '{}',
    computed_at        timestamptz NOT NULL DEFAULT clock_timestamp(),
    -- What the legacy planner did with the same booking version, right after the plan.
    legacy_outcome     text
        CONSTRAINT shadow_plans_legacy_outcome_is_known
            CHECK (legacy_outcome IN ('confirmed', 'retry', 'manual_review', 'noop', 'error')),
    legacy_table_ids   uuid[] NOT NULL DEFAULT '{}',
    CONSTRAINT shadow_plans_pkey PRIMARY KEY (booking_id, assignment_version)
);
CREATE INDEX shadow_plans_computed_at_idx ON shadow_plans (computed_at);
COMMENT ON TABLE shadow_plans IS
    'What V3 would have done, computed in shadow mode for the booking version the legacy '
    'planner handled; compared by shadow_agreement().';

CREATE TABLE restaurant_rollout (
    restaurant_id uuid PRIMARY KEY REFERENCES restaurants (id) ON DELETE CASCADE,
    mode          text NOT NULL
        CONSTRAINT restaurant_rollout_mode_is_v3_legacy_or_shadow CHECK (mode IN ('v3', 'legacy', 'shadow')),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE restaurant_rollout IS
    'Per-restaurant override of the rollout percentage: v3, legacy or shadow. '
    'assignment_v3.enabled = off still disables V3 everywhere.';

--------------------------------------------------------------------------------------------
-- Triggers implemented in the library
--------------------------------------------------------------------------------------------

-- Guards the state machine: refuses state writes that do not come from the coordinator or
-- the operator functions, turns a change of party size or time into a reset to 'created'
-- (releasing the tables), and a change of status to 'cancelled' into a cancellation.
CREATE FUNCTION bookings_guard() RETURNS trigger
    AS 'MODULE_PATHNAME', 'av3_bookings_guard' LANGUAGE C SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp;
CREATE TRIGGER bookings_guard
    BEFORE INSERT OR UPDATE ON bookings
    FOR EACH ROW EXECUTE FUNCTION bookings_guard();

-- Wakes a coordinator worker when the transaction that inserted or rescheduled bookings commits.
CREATE FUNCTION bookings_wake_workers() RETURNS trigger
    AS 'MODULE_PATHNAME', 'av3_bookings_wake_workers' LANGUAGE C SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp;
CREATE TRIGGER bookings_wake_workers
    AFTER INSERT OR UPDATE ON bookings
    FOR EACH STATEMENT EXECUTE FUNCTION bookings_wake_workers();

-- Tells every worker, after commit, that inventories or rollout overrides changed.
CREATE FUNCTION inventory_changed() RETURNS trigger
    AS 'MODULE_PATHNAME', 'av3_inventory_changed' LANGUAGE C SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp;
CREATE TRIGGER restaurants_inventory_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON restaurants
    FOR EACH STATEMENT EXECUTE FUNCTION inventory_changed();
CREATE TRIGGER restaurant_tables_inventory_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON restaurant_tables
    FOR EACH STATEMENT EXECUTE FUNCTION inventory_changed();
CREATE TRIGGER table_adjacency_inventory_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON table_adjacency
    FOR EACH STATEMENT EXECUTE FUNCTION inventory_changed();
CREATE TRIGGER restaurant_rollout_inventory_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON restaurant_rollout
    FOR EACH STATEMENT EXECUTE FUNCTION inventory_changed();

--------------------------------------------------------------------------------------------
-- Running the pipeline from SQL (the workers run exactly this code)
--------------------------------------------------------------------------------------------

CREATE FUNCTION process_pending(max_bookings integer DEFAULT 1000)
RETURNS TABLE (booking_id uuid, pipeline text, outcome text, reason text)
AS 'MODULE_PATHNAME', 'av3_process_pending' LANGUAGE C VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION process_pending(integer) IS
    'Claims up to max_bookings due bookings and processes them in the calling transaction, '
    'exactly as a worker does; returns one row per invocation.';

CREATE FUNCTION assign_booking(booking_id uuid, pipeline text DEFAULT NULL)
RETURNS TABLE (outcome text, reason text, table_ids uuid[], pipeline text)
AS 'MODULE_PATHNAME', 'av3_assign_booking' LANGUAGE C VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION assign_booking(uuid, text) IS
    'Processes one booking now, whatever its next_attempt_at. pipeline: NULL (the restaurant''s '
    'rollout mode), ''v3'', ''legacy'' or ''shadow''.';

--------------------------------------------------------------------------------------------
-- Operator functions
--------------------------------------------------------------------------------------------

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
    SELECT b.status INTO current_status FROM assignment_v3.bookings b WHERE b.id = booking_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'booking % does not exist', booking_id
            USING ERRCODE = 'no_data_found', HINT = 'Check the id against assignment_v3.bookings.';
    END IF;
    IF current_status = 'cancelled' THEN
        RETURN false;
    END IF;
    -- The bookings trigger releases the tables, wakes waiting retries and records the transition.
    UPDATE assignment_v3.bookings b SET status = 'cancelled' WHERE b.id = booking_id;
    RETURN true;
END;
$$;
COMMENT ON FUNCTION cancel_booking(uuid) IS
    'Cancels a booking: releases its tables and makes the restaurant''s waiting retries due now. '
    'Returns false when it was already cancelled.';

CREATE FUNCTION requeue(booking_id uuid) RETURNS text
AS 'MODULE_PATHNAME', 'av3_requeue' LANGUAGE C VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION requeue(uuid) IS
    'Takes a booking out of manual_review: back to created, attempts reset, due now.';

CREATE FUNCTION assign_manually(booking_id uuid, table_ids uuid[]) RETURNS uuid[]
AS 'MODULE_PATHNAME', 'av3_assign_manually' LANGUAGE C VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION assign_manually(uuid, uuid[]) IS
    'Seats a booking at the given tables (pipeline manual), replacing any tables it had. '
    'Refuses tables of another restaurant, inactive or too few seats, and overlaps.';

CREATE FUNCTION purge_old_events(batch integer DEFAULT 10000) RETURNS bigint
AS 'MODULE_PATHNAME', 'av3_purge_old_events' LANGUAGE C VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION purge_old_events(integer) IS
    'Deletes up to batch events older than assignment_v3.event_retention (and, once none is left, '
    'the rollups and shadow plans older than it); returns the events deleted. Worker 0 runs it.';

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
    EXECUTE format('GRANT USAGE ON SCHEMA assignment_v3 TO %I', worker_role);
    EXECUTE format('GRANT SELECT ON assignment_v3.restaurants, assignment_v3.restaurant_tables,
                    assignment_v3.table_adjacency, assignment_v3.restaurant_rollout TO %I', worker_role);
    EXECUTE format('GRANT SELECT, UPDATE ON assignment_v3.bookings TO %I', worker_role);
    EXECUTE format('GRANT SELECT, INSERT, DELETE ON assignment_v3.table_assignments,
                    assignment_v3.observability_events TO %I', worker_role);
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON assignment_v3.shadow_plans TO %I', worker_role);
    EXECUTE format('GRANT SELECT, DELETE ON assignment_v3.event_rollup, assignment_v3.latency_rollup TO %I',
                   worker_role);
END;
$$;
COMMENT ON FUNCTION grant_worker_privileges(name) IS
    'Grants a role exactly what the workers need (see docs/operations.md).';

CREATE FUNCTION reset_circuit_breaker() RETURNS void
AS 'MODULE_PATHNAME', 'av3_reset_circuit_breaker' LANGUAGE C VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION reset_circuit_breaker() IS
    'Closes the circuit breaker at once (after the cause of the errors is fixed).';

--------------------------------------------------------------------------------------------
-- State of the extension
--------------------------------------------------------------------------------------------

CREATE FUNCTION restaurant_mode(restaurant_id uuid) RETURNS text
AS 'MODULE_PATHNAME', 'av3_restaurant_mode' LANGUAGE C STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION restaurant_mode(uuid) IS
    'The pipeline serving a restaurant under the current settings: v3, shadow, legacy or off.';

CREATE FUNCTION rollout_bucket(restaurant_id uuid) RETURNS integer
AS 'MODULE_PATHNAME', 'av3_rollout_bucket' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION rollout_bucket(uuid) IS
    'The restaurant''s stable bucket 0..99: it runs V3 when its bucket is below rollout_percent.';

CREATE FUNCTION restaurant_lock_key(restaurant_id uuid, OUT classid integer, OUT objid integer)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'av3_restaurant_lock_key' LANGUAGE C IMMUTABLE STRICT ROWS 1;
COMMENT ON FUNCTION restaurant_lock_key(uuid) IS
    'The advisory lock keys that serialise work on a restaurant: '
    'pg_advisory_xact_lock(classid, objid) holds off the coordinator.';

CREATE FUNCTION worker_slots(
    OUT slot integer, OUT pid integer, OUT state text, OUT started_at timestamptz,
    OUT config_loaded_at timestamptz, OUT last_batch_at timestamptz, OUT batches bigint, OUT invocations bigint, OUT confirmed bigint,
    OUT retried bigint, OUT manual_review bigint, OUT noop bigint, OUT errors bigint,
    OUT legacy bigint, OUT shadow_plans bigint, OUT current_booking uuid, OUT last_error text,
    OUT last_error_at timestamptz)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'av3_worker_slots' LANGUAGE C VOLATILE;

CREATE VIEW workers AS SELECT * FROM worker_slots();
COMMENT ON VIEW workers IS
    'One row per coordinator worker: its process, state, counters since it started, and last error.';

CREATE FUNCTION circuit_breaker(
    OUT state text, OUT failures integer, OUT trips bigint, OUT opened_at timestamptz,
    OUT last_failure_at timestamptz, OUT shared boolean)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'av3_circuit_breaker' LANGUAGE C VOLATILE ROWS 1;

CREATE FUNCTION launcher(OUT state text, OUT pid integer, OUT started_at timestamptz, OUT database text)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'av3_launcher' LANGUAGE C VOLATILE ROWS 1;

-- Tells the launcher the extension now exists here (run by CREATE EXTENSION below).
CREATE FUNCTION attach_workers() RETURNS boolean
AS 'MODULE_PATHNAME', 'av3_attach_workers' LANGUAGE C VOLATILE;

CREATE FUNCTION status(
    OUT mode text, OUT enabled boolean, OUT shadow boolean, OUT legacy_planner boolean,
    OUT rollout_percent integer, OUT max_parallel integer, OUT launcher text, OUT workers_running integer,
    OUT queue_depth bigint, OUT due_now bigint, OUT oldest_due timestamptz, OUT manual_review bigint,
    OUT circuit_state text, OUT circuit_trips bigint)
RETURNS record
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE
               WHEN current_setting('assignment_v3.enabled')::boolean
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
           c.state, c.trips
    FROM (SELECT count(*) AS queue_depth,
                 count(*) FILTER (WHERE b.next_attempt_at <= now()) AS due_now,
                 min(b.next_attempt_at) FILTER (WHERE b.next_attempt_at <= now()) AS oldest_due
          FROM assignment_v3.bookings b
          WHERE b.status = 'pending' AND b.assignment_state IN ('created', 'retry_scheduled')) q,
         assignment_v3.circuit_breaker() c
$$;
COMMENT ON FUNCTION status() IS
    'Effective mode, rollout flags, workers, queue depth, oldest due booking and circuit state.';

--------------------------------------------------------------------------------------------
-- Invariants
--------------------------------------------------------------------------------------------

CREATE FUNCTION check_invariants()
RETURNS TABLE (invariant text, booking_id uuid, detail text)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    -- No table holds two bookings at once (the exclusion constraint makes this impossible).
    SELECT 'double_booked_table', a.booking_id,
           format('table %s also holds booking %s during %s', a.table_id, b.booking_id, a.during * b.during)
    FROM assignment_v3.table_assignments a
    JOIN assignment_v3.table_assignments b
      ON a.table_id = b.table_id AND a.booking_id < b.booking_id AND a.during && b.during
    UNION ALL
    -- A confirmed booking has tables seating its party.
    SELECT 'confirmed_without_enough_seats', bk.id,
           format('party of %s, %s seats assigned', bk.party_size, coalesce(sum(t.capacity), 0))
    FROM assignment_v3.bookings bk
    LEFT JOIN assignment_v3.table_assignments a ON a.booking_id = bk.id
    LEFT JOIN assignment_v3.restaurant_tables t ON t.id = a.table_id
    WHERE bk.assignment_state = 'confirmed'
    GROUP BY bk.id, bk.party_size
    HAVING coalesce(sum(t.capacity), 0) < bk.party_size
    UNION ALL
    -- Only confirmed bookings hold tables.
    SELECT DISTINCT ON (bk.id) 'tables_held_by_unconfirmed_booking', bk.id,
           format('assignment_state is %s', bk.assignment_state)
    FROM assignment_v3.bookings bk
    JOIN assignment_v3.table_assignments a ON a.booking_id = bk.id
    WHERE bk.assignment_state <> 'confirmed'
    UNION ALL
    -- Intermediate states live only inside an invocation; committed, they mean a lost update.
    SELECT 'stuck_in_intermediate_state', bk.id, format('assignment_state is %s', bk.assignment_state)
    FROM assignment_v3.bookings bk
    WHERE bk.assignment_state IN ('capacity_verified', 'table_selected')
    UNION ALL
    -- The last event that decided a booking's state agrees with the state it is in.
    SELECT 'outcome_event_mismatch', last.booking_id,
           format('last deciding event %s (event %s) implies %s, booking is %s',
                  last.event_type, last.id, last.implied, bk.assignment_state)
    FROM (
        SELECT DISTINCT ON (e.booking_id) e.booking_id, e.id, e.event_type,
               CASE
                   WHEN e.event_type = 'coordinator.confirmed' THEN 'confirmed'
                   WHEN e.event_type = 'coordinator.retry' THEN 'retry_scheduled'
                   WHEN e.event_type = 'coordinator.manual_review' THEN 'manual_review'
                   WHEN e.event_type = 'coordinator.error' THEN 'runnable'
                   WHEN e.event_type = 'auto_assign.summary' THEN
                       CASE e.context->>'outcome'
                           WHEN 'confirmed' THEN 'confirmed'
                           WHEN 'manual_review' THEN 'manual_review'
                           ELSE 'runnable'
                       END
                   ELSE e.context->>'to'
               END AS implied
        FROM assignment_v3.observability_events e
        WHERE e.booking_id IS NOT NULL
          AND (e.event_type IN ('coordinator.confirmed', 'coordinator.retry', 'coordinator.manual_review',
                                'coordinator.error')
               OR (e.event_type = 'auto_assign.summary' AND e.context->>'outcome' <> 'noop')
               OR (e.event_type = 'booking.assignment_state_transition'
                   AND e.context->>'cause' IN ('modification', 'cancellation', 'requeue', 'manual_assignment')))
        ORDER BY e.booking_id, e.created_at DESC, e.id DESC
    ) last
    JOIN assignment_v3.bookings bk ON bk.id = last.booking_id
    WHERE NOT (last.implied = bk.assignment_state
               OR (last.implied = 'runnable' AND bk.assignment_state IN ('created', 'retry_scheduled')))
$$;
COMMENT ON FUNCTION check_invariants() IS
    'Rows describe violations: double-booked tables, confirmed bookings without enough seats, '
    'tables held by unconfirmed bookings, bookings stuck in an intermediate state, and outcome '
    'events that do not match a booking''s state. No rows: healthy.';


--------------------------------------------------------------------------------------------
-- Event rollups: what the statistics read
--------------------------------------------------------------------------------------------
-- Every insert into observability_events also counts its events here, per minute and per hour
-- (a statement trigger over the inserted rows), so that a statistics function over a day reads
-- the hours inside its window and the minutes at its two ends: a few thousand rollup rows
-- instead of hundreds of thousands of events. Windows are therefore counted in whole minutes.
-- `writer` keeps concurrent writers (each worker) on rows of their own, so that counting never
-- makes one transaction wait for another.

CREATE TABLE event_rollup (
    width          smallint NOT NULL      -- minutes the bucket covers: 1 or 60
        CONSTRAINT event_rollup_width_is_minute_or_hour CHECK (width IN (1, 60)),
    bucket         timestamptz NOT NULL,  -- start of the minute or hour
    source         text NOT NULL,
    event_type     text NOT NULL,
    reason         text,                  -- context->>'reason'
    detail         text,                  -- transitions: 'from>to'; auto_assign.summary: its outcome
    restaurant_id  uuid,                  -- for the per-restaurant questions only (start, manual review)
    writer         integer NOT NULL,
    events         bigint NOT NULL,
    delay_ms_sum   double precision NOT NULL DEFAULT 0,
    delay_ms_max   double precision,
    latency_ms_max double precision,
    -- Led by event_type: most statistics read a few event types over a range of buckets.
    CONSTRAINT event_rollup_key UNIQUE NULLS NOT DISTINCT
        (width, event_type, bucket, source, reason, detail, restaurant_id, writer)
);
CREATE INDEX event_rollup_bucket_idx ON event_rollup (width, bucket);
COMMENT ON TABLE event_rollup IS
    'Per-minute counts of observability_events, maintained by a trigger; read by the statistics functions.';

-- Confirmation latency (booking queued to confirmed) per minute and pipeline, as a histogram
-- with buckets 2% wide: percentiles are reported at the upper edge of their bucket.
CREATE TABLE latency_rollup (
    width          smallint NOT NULL
        CONSTRAINT latency_rollup_width_is_minute_or_hour CHECK (width IN (1, 60)),
    bucket         timestamptz NOT NULL,
    pipeline       text NOT NULL,
    latency_bucket integer NOT NULL,      -- ceil(ln(latency in microseconds) / ln(1.02))
    writer         integer NOT NULL,
    confirmations  bigint NOT NULL,
    CONSTRAINT latency_rollup_key UNIQUE (width, bucket, pipeline, latency_bucket, writer)
);
COMMENT ON TABLE latency_rollup IS
    'Per-minute histogram of confirmation latency per pipeline (2% buckets); read by latency().';

CREATE FUNCTION rollup_writer() RETURNS integer
    AS 'MODULE_PATHNAME', 'av3_rollup_writer' LANGUAGE C STABLE PARALLEL SAFE;

CREATE FUNCTION latency_bucket(latency_ms double precision) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT greatest(0, ceil(ln(greatest(latency_ms * 1000, 1)) / ln(1.02)))::int $$;

CREATE FUNCTION latency_bucket_upper_ms(latency_bucket integer) RETURNS double precision
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT round((power(1.02, latency_bucket) / 1000)::numeric, 3)::double precision $$;

-- The statement that counts a set of events into one of the rollups; `events` is a relation
-- or subquery with the columns of observability_events. One text for both callers below: the
-- trigger (the rows a statement inserted) and rebuild_event_rollups() (a range of the table).
CREATE FUNCTION rollup_statement(events text, rollup text) RETURNS text
LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
    SELECT CASE rollup
    WHEN 'events' THEN format($q$
        INSERT INTO assignment_v3.event_rollup AS r
            (width, bucket, source, event_type, reason, detail, restaurant_id, writer, events, delay_ms_sum,
             delay_ms_max, latency_ms_max)
        SELECT w.width, date_trunc(w.unit, e.created_at), e.source, e.event_type, e.context->>'reason',
               CASE e.event_type
                   WHEN 'booking.assignment_state_transition' THEN (e.context->>'from') || '>' || (e.context->>'to')
                   WHEN 'auto_assign.summary' THEN e.context->>'outcome'
               END,
               CASE WHEN e.event_type IN ('coordinator.start', 'coordinator.manual_review') THEN e.restaurant_id END,
               assignment_v3.rollup_writer(), count(*),
               coalesce(sum((e.context->>'delay_ms')::float8), 0), max((e.context->>'delay_ms')::float8),
               max((e.context->>'latency_ms')::float8)
        FROM %s e CROSS JOIN (VALUES (1::smallint, 'minute'), (60::smallint, 'hour')) AS w(width, unit)
        GROUP BY 1, 2, 3, 4, 5, 6, 7
        ON CONFLICT ON CONSTRAINT event_rollup_key DO UPDATE SET
            events = r.events + excluded.events,
            delay_ms_sum = r.delay_ms_sum + excluded.delay_ms_sum,
            delay_ms_max = greatest(r.delay_ms_max, excluded.delay_ms_max),
            latency_ms_max = greatest(r.latency_ms_max, excluded.latency_ms_max)$q$, events)
    WHEN 'latency' THEN format($q$
        INSERT INTO assignment_v3.latency_rollup AS r (width, bucket, pipeline, latency_bucket, writer, confirmations)
        SELECT w.width, date_trunc(w.unit, e.created_at),
               CASE WHEN e.event_type = 'coordinator.confirmed' THEN 'v3' ELSE 'legacy' END,
               assignment_v3.latency_bucket((e.context->>'latency_ms')::float8),
               assignment_v3.rollup_writer(), count(*)
        FROM %s e CROSS JOIN (VALUES (1::smallint, 'minute'), (60::smallint, 'hour')) AS w(width, unit)
        WHERE e.event_type IN ('coordinator.confirmed', 'auto_assign.summary') AND e.context ? 'latency_ms'
        GROUP BY 1, 2, 3, 4
        ON CONFLICT ON CONSTRAINT latency_rollup_key DO UPDATE SET
            confirmations = r.confirmations + excluded.confirmations$q$, events)
    END
$fn$;

-- SECURITY DEFINER: whoever may insert events need not have privileges on the rollups.
CREATE FUNCTION roll_up_events() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    -- The transition table is visible to this function's own statements only, hence EXECUTE here.
    EXECUTE assignment_v3.rollup_statement('new_events', 'events');
    EXECUTE assignment_v3.rollup_statement('new_events', 'latency');
    RETURN NULL;
END;
$$;

-- Recounts the rollups of [from_time, to_time) from the events table: after events were loaded
-- with the trigger disabled, or deleted by hand. Whole hours: the range is widened to them.
CREATE FUNCTION rebuild_event_rollups(from_time timestamptz, to_time timestamptz) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    lower_bound timestamptz := date_trunc('hour', from_time);
    upper_bound timestamptz := date_trunc('hour', to_time - interval '1 microsecond') + interval '1 hour';
    events bigint;
BEGIN
    IF from_time IS NULL OR to_time IS NULL OR to_time <= from_time THEN
        RAISE EXCEPTION 'rebuild_event_rollups() needs from_time < to_time'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    DELETE FROM assignment_v3.event_rollup WHERE bucket >= lower_bound AND bucket < upper_bound;
    DELETE FROM assignment_v3.latency_rollup WHERE bucket >= lower_bound AND bucket < upper_bound;
    EXECUTE assignment_v3.rollup_statement(
        format('(SELECT * FROM assignment_v3.observability_events WHERE created_at >= %L AND created_at < %L)',
               lower_bound, upper_bound), 'events');
    EXECUTE assignment_v3.rollup_statement(
        format('(SELECT * FROM assignment_v3.observability_events WHERE created_at >= %L AND created_at < %L)',
               lower_bound, upper_bound), 'latency');
    SELECT count(*) INTO events FROM assignment_v3.observability_events
    WHERE created_at >= lower_bound AND created_at < upper_bound;
    RETURN events;
END;
$$;
COMMENT ON FUNCTION rebuild_event_rollups(timestamptz, timestamptz) IS
    'Recounts the statistics'' rollups of a time range from observability_events; returns the events counted.';

CREATE TRIGGER observability_events_roll_up
    AFTER INSERT ON observability_events
    REFERENCING NEW TABLE AS new_events
    FOR EACH STATEMENT EXECUTE FUNCTION roll_up_events();

--------------------------------------------------------------------------------------------
-- Rollout statistics: one function per question of the old runbook
--------------------------------------------------------------------------------------------
-- Each takes the window first (with the runbook's default) and `as_of` last (default now()):
-- the window covers the whole minutes from as_of - window up to as_of. Percentages are
-- numeric(5,2); a ratio over nothing is NULL. They are SECURITY DEFINER with a pinned
-- search_path, executable by pg_monitor (see the privileges at the end).

-- Which rollup buckets make up a window: the whole hours inside it (width 60) and the minutes
-- at its two ends (width 1), or minutes only when the caller bins by less than an hour. The
-- window starts with the minute of as_of - window_length and ends with the minute of as_of.
-- (The small helpers here are plain SQL without a SET clause so that the planner inlines them
-- into the statistics functions, which pin search_path.)
CREATE FUNCTION rollup_ranges(window_length interval, as_of timestamptz, hours_allowed boolean DEFAULT true)
RETURNS TABLE (width smallint, from_bucket timestamptz, to_bucket timestamptz)
LANGUAGE sql STABLE
AS $$
    WITH b AS (
        SELECT date_trunc('minute', as_of - window_length) AS lo,
               date_trunc('minute', as_of) + interval '1 minute' AS hi,
               CASE WHEN hours_allowed
                         AND date_trunc('hour', as_of - window_length) + interval '1 hour' < date_trunc('hour', as_of)
                    THEN date_trunc('hour', as_of - window_length) + interval '1 hour' END AS hlo,
               date_trunc('hour', as_of) AS hhi)
    SELECT 60::smallint, hlo, hhi FROM b WHERE hlo IS NOT NULL
    UNION ALL
    SELECT 1::smallint, lo, coalesce(hlo, hi) FROM b
    UNION ALL
    SELECT 1::smallint, hhi, hi FROM b WHERE hlo IS NOT NULL
$$;

-- The event rollup rows of a window: one index range scan per range (OFFSET 0 keeps the
-- planner from turning the three small ranges into a hash join over the whole table).
CREATE FUNCTION rollup_window(window_length interval, as_of timestamptz, hours_allowed boolean DEFAULT true)
RETURNS SETOF event_rollup
LANGUAGE sql STABLE
AS $$
    SELECT r.* FROM assignment_v3.rollup_ranges(window_length, as_of, hours_allowed) g
    CROSS JOIN LATERAL (SELECT * FROM assignment_v3.event_rollup e
                        WHERE e.width = g.width AND e.bucket >= g.from_bucket AND e.bucket < g.to_bucket
                        OFFSET 0) r
$$;

CREATE FUNCTION pct(part numeric, whole numeric) RETURNS numeric
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT CASE WHEN whole > 0 THEN round(100 * part / whole, 2) END $$;

-- Success and failure per event type: success means no context.reason.
CREATE FUNCTION outcome_summary(window_length interval DEFAULT '6 hours', as_of timestamptz DEFAULT now())
RETURNS TABLE (source text, event_type text, events bigint, successes bigint, failures bigint, success_pct numeric)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT r.source, r.event_type, sum(r.events)::bigint,
           coalesce(sum(r.events) FILTER (WHERE r.reason IS NULL), 0)::bigint,
           coalesce(sum(r.events) FILTER (WHERE r.reason IS NOT NULL), 0)::bigint,
           assignment_v3.pct(coalesce(sum(r.events) FILTER (WHERE r.reason IS NULL), 0), sum(r.events))
    FROM assignment_v3.rollup_window(window_length, as_of) r
    GROUP BY r.source, r.event_type
    ORDER BY r.source, r.event_type
$$;

-- Why bookings are retried, how often, and how long they wait.
CREATE FUNCTION retry_reasons(window_length interval DEFAULT '24 hours', as_of timestamptz DEFAULT now())
RETURNS TABLE (reason text, retries bigint, share_pct numeric, avg_delay_ms numeric, max_delay_ms numeric)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT r.reason, sum(r.events)::bigint,
           assignment_v3.pct(sum(r.events), sum(sum(r.events)) OVER ()),
           round((sum(r.delay_ms_sum) / sum(r.events))::numeric, 1),
           round(max(r.delay_ms_max)::numeric, 1)
    FROM assignment_v3.rollup_window(window_length, as_of) r
    WHERE r.event_type = 'coordinator.retry'
    GROUP BY r.reason
    ORDER BY 2 DESC, 1
$$;

-- Manual review rate of the V3 coordinator, per restaurant (highest first).
CREATE FUNCTION manual_review_by_restaurant(window_length interval DEFAULT '24 hours',
                                            as_of timestamptz DEFAULT now())
RETURNS TABLE (restaurant_id uuid, restaurant text, invocations bigint, manual_reviews bigint,
               manual_review_pct numeric)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT c.restaurant_id, rs.name, c.invocations, c.manual_reviews,
           assignment_v3.pct(c.manual_reviews, c.invocations)
    FROM (SELECT r.restaurant_id,
                 coalesce(sum(r.events) FILTER (WHERE r.event_type = 'coordinator.start'), 0)::bigint AS invocations,
                 coalesce(sum(r.events) FILTER (WHERE r.event_type = 'coordinator.manual_review'), 0)::bigint
                     AS manual_reviews
          FROM assignment_v3.rollup_window(window_length, as_of) r
          WHERE r.event_type IN ('coordinator.start', 'coordinator.manual_review')
          GROUP BY r.restaurant_id) c
    LEFT JOIN assignment_v3.restaurants rs ON rs.id = c.restaurant_id
    ORDER BY 5 DESC NULLS LAST, 3 DESC, 1
$$;

-- V3 decisions per time bucket, and how many were of one outcome. Decisions are the outcomes
-- that decide something: confirmed, retry, manual_review, error (noops are not decisions).
-- Shared by confirmation_rate(), error_rate() and the gate.
CREATE FUNCTION decisions_per_bucket(window_length interval, bucket interval, as_of timestamptz, outcome text)
RETURNS TABLE (bucket_start timestamptz, decisions bigint, of_outcome bigint)
LANGUAGE sql STABLE
AS $$
    SELECT date_bin(decisions_per_bucket.bucket, r.bucket, timestamptz '2000-01-01'), sum(r.events)::bigint,
           coalesce(sum(r.events) FILTER (WHERE r.event_type = outcome), 0)::bigint
    FROM assignment_v3.rollup_window(window_length, as_of,
                                     hours_allowed => extract(epoch FROM decisions_per_bucket.bucket)::bigint % 3600 = 0) r
    WHERE r.event_type IN ('coordinator.confirmed', 'coordinator.retry', 'coordinator.manual_review',
                           'coordinator.error')
    GROUP BY 1
$$;

-- Share of V3 decisions that seated the party, per time bucket.
CREATE FUNCTION confirmation_rate(window_length interval DEFAULT '24 hours', bucket interval DEFAULT '1 hour',
                                  as_of timestamptz DEFAULT now())
RETURNS TABLE (bucket_start timestamptz, decisions bigint, confirmed bigint, confirmation_pct numeric)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT d.bucket_start, d.decisions, d.of_outcome, assignment_v3.pct(d.of_outcome, d.decisions)
    FROM assignment_v3.decisions_per_bucket(window_length, bucket, as_of, 'coordinator.confirmed') d
    ORDER BY 1
$$;

-- State transitions per kind, against V3 invocations: a rising ratio means bookings churn.
CREATE FUNCTION transition_volume(window_length interval DEFAULT '1 hour', as_of timestamptz DEFAULT now())
RETURNS TABLE (from_state text, to_state text, transitions bigint, per_invocation numeric)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    WITH w AS (SELECT * FROM assignment_v3.rollup_window(window_length, as_of)),
    invocations AS (SELECT sum(events) AS n FROM w WHERE event_type = 'coordinator.start'),
    t AS (SELECT split_part(detail, '>', 1) AS from_state, split_part(detail, '>', 2) AS to_state,
                 sum(events)::bigint AS transitions
          FROM w WHERE event_type = 'booking.assignment_state_transition'
          GROUP BY 1, 2)
    SELECT t.from_state, t.to_state, t.transitions,
           CASE WHEN i.n > 0 THEN round(t.transitions / i.n, 3) END
    FROM t, invocations i
    UNION ALL
    SELECT 'all', 'all', coalesce(sum(t.transitions), 0)::bigint,
           CASE WHEN max(i.n) > 0 THEN round(coalesce(sum(t.transitions), 0) / max(i.n), 3) END
    FROM t RIGHT JOIN invocations i ON true
    ORDER BY 3 DESC, 1, 2
$$;

-- Who served the bookings: the V3 coordinator, the legacy planner, and shadow plans.
CREATE FUNCTION pipeline_mix(window_length interval DEFAULT '1 hour', as_of timestamptz DEFAULT now())
RETURNS TABLE (pipeline text, invocations bigint, confirmed bigint, manual_review bigint, share_pct numeric)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    WITH w AS (SELECT * FROM assignment_v3.rollup_window(window_length, as_of)),
    p AS (
        SELECT 'v3' AS pipeline,
               coalesce(sum(events) FILTER (WHERE event_type = 'coordinator.start'), 0)::bigint AS invocations,
               coalesce(sum(events) FILTER (WHERE event_type = 'coordinator.confirmed'), 0)::bigint AS confirmed,
               coalesce(sum(events) FILTER (WHERE event_type = 'coordinator.manual_review'), 0)::bigint AS manual_review
        FROM w
        UNION ALL
        SELECT 'legacy',
               coalesce(sum(events) FILTER (WHERE event_type = 'auto_assign.summary' AND detail <> 'noop'), 0)::bigint,
               coalesce(sum(events) FILTER (WHERE event_type = 'auto_assign.summary' AND detail = 'confirmed'), 0)::bigint,
               coalesce(sum(events) FILTER (WHERE event_type = 'auto_assign.summary' AND detail = 'manual_review'), 0)::bigint
        FROM w)
    SELECT p.pipeline, p.invocations, p.confirmed, p.manual_review,
           assignment_v3.pct(p.invocations, sum(p.invocations) OVER ())
    FROM p
    UNION ALL
    SELECT 'shadow (plans only)', coalesce(sum(events), 0)::bigint,
           coalesce(sum(events) FILTER (WHERE reason IS NULL), 0)::bigint, NULL, NULL
    FROM w WHERE event_type = 'coordinator.shadow_plan'
$$;

-- Unexpected errors of the V3 coordinator per time bucket, against its decisions.
CREATE FUNCTION error_rate(window_length interval DEFAULT '24 hours', bucket interval DEFAULT '5 minutes',
                           as_of timestamptz DEFAULT now())
RETURNS TABLE (bucket_start timestamptz, decisions bigint, errors bigint, error_pct numeric)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT d.bucket_start, d.decisions, d.of_outcome, assignment_v3.pct(d.of_outcome, d.decisions)
    FROM assignment_v3.decisions_per_bucket(window_length, bucket, as_of, 'coordinator.error') d
    ORDER BY 1
$$;

-- Why bookings end in manual review, per pipeline.
CREATE FUNCTION manual_review_reasons(window_length interval DEFAULT '24 hours', as_of timestamptz DEFAULT now())
RETURNS TABLE (pipeline text, reason text, manual_reviews bigint, share_pct numeric)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE WHEN r.event_type = 'coordinator.manual_review' THEN 'v3' ELSE 'legacy' END, r.reason,
           sum(r.events)::bigint,
           assignment_v3.pct(sum(r.events), sum(sum(r.events)) OVER (
               PARTITION BY CASE WHEN r.event_type = 'coordinator.manual_review' THEN 'v3' ELSE 'legacy' END))
    FROM assignment_v3.rollup_window(window_length, as_of) r
    WHERE r.event_type = 'coordinator.manual_review'
       OR (r.event_type = 'auto_assign.summary' AND r.detail = 'manual_review')
    GROUP BY 1, 2
    ORDER BY 1 DESC, 3 DESC, 2
$$;

-- Latency from booking (queued) to confirmation per pipeline: percentiles at 2% resolution
-- (the upper edge of their histogram bucket), the maximum exact.
CREATE FUNCTION latency(window_length interval DEFAULT '24 hours', as_of timestamptz DEFAULT now())
RETURNS TABLE (pipeline text, confirmations bigint, p50_ms double precision, p95_ms double precision,
               p99_ms double precision, max_ms double precision)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    WITH h AS (
        SELECT l.pipeline, l.latency_bucket, sum(l.confirmations) AS n
        FROM assignment_v3.rollup_ranges(window_length, as_of) g
        CROSS JOIN LATERAL (SELECT * FROM assignment_v3.latency_rollup x
                            WHERE x.width = g.width AND x.bucket >= g.from_bucket AND x.bucket < g.to_bucket
                            OFFSET 0) l
        GROUP BY 1, 2),
    c AS (
        SELECT h.*, sum(n) OVER (PARTITION BY pipeline ORDER BY latency_bucket) AS cumulative,
               sum(n) OVER (PARTITION BY pipeline) AS total
        FROM h),
    m AS (
        SELECT CASE WHEN event_type = 'coordinator.confirmed' THEN 'v3' ELSE 'legacy' END AS pipeline,
               max(latency_ms_max) AS max_ms
        FROM assignment_v3.rollup_window(window_length, as_of)
        WHERE event_type = 'coordinator.confirmed' OR (event_type = 'auto_assign.summary' AND detail = 'confirmed')
        GROUP BY 1)
    SELECT c.pipeline, max(c.total)::bigint,
           assignment_v3.latency_bucket_upper_ms(min(c.latency_bucket) FILTER (WHERE c.cumulative >= 0.50 * c.total)),
           assignment_v3.latency_bucket_upper_ms(min(c.latency_bucket) FILTER (WHERE c.cumulative >= 0.95 * c.total)),
           assignment_v3.latency_bucket_upper_ms(min(c.latency_bucket) FILTER (WHERE c.cumulative >= 0.99 * c.total)),
           round(max(m.max_ms)::numeric, 3)::double precision
    FROM c LEFT JOIN m ON m.pipeline = c.pipeline
    GROUP BY c.pipeline
    ORDER BY 1 DESC
$$;

-- How V3's shadow plans compare with what the legacy planner did for the same booking version.
CREATE FUNCTION shadow_agreement(window_length interval DEFAULT '24 hours', as_of timestamptz DEFAULT now())
RETURNS TABLE (comparison text, bookings bigint, share_pct numeric)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    WITH compared AS (
        SELECT CASE
                   WHEN p.outcome = 'confirmed' AND p.legacy_outcome = 'confirmed'
                        AND p.table_ids @> p.legacy_table_ids AND p.table_ids <@ p.legacy_table_ids
                       THEN 'same tables'
                   WHEN p.outcome = 'confirmed' AND p.legacy_outcome = 'confirmed'
                       THEN 'both seat, other tables'
                   WHEN p.outcome = 'confirmed' AND p.legacy_outcome = 'manual_review'
                       THEN 'v3 would seat, legacy sent to manual review'
                   WHEN p.outcome <> 'confirmed' AND p.legacy_outcome = 'confirmed'
                       THEN 'legacy seated, v3 would not'
                   WHEN p.outcome <> 'confirmed' AND p.legacy_outcome = 'manual_review'
                       THEN 'neither seats'
                   ELSE 'legacy undecided (retry, error or not recorded)'
               END AS comparison
        FROM assignment_v3.shadow_plans p
        WHERE p.computed_at >= as_of - window_length AND p.computed_at <= as_of)
    SELECT comparison, count(*), assignment_v3.pct(count(*), sum(count(*)) OVER ())
    FROM compared
    GROUP BY comparison
    ORDER BY 2 DESC, 1
$$;

--------------------------------------------------------------------------------------------
-- The rollout gate: the runbook's exit criteria, evaluated
--------------------------------------------------------------------------------------------
-- One row per check with what was observed, the threshold and whether it passed, and what a
-- failure means: 'hold' (wait, look, do not widen the rollout) or 'rollback'.
--   sample_size        V3 decisions in the window >= min_samples, else hold (an idle window
--                      proves nothing)
--   success_rate       % of V3 decisions without a reason (confirmed) >= min_success_pct;
--                      hold, rollback when 5 points or more below
--   manual_review_rate % of V3 invocations ending in manual review < max_manual_review_pct;
--                      hold, rollback at three times the threshold
--   confirmation_rate  % of V3 final decisions (confirmed or manual review) that confirmed
--                      >= min_confirmation_pct; hold, rollback when 5 points or more below
--   sustained_errors   longest run of consecutive 5-minute buckets whose error share exceeds
--                      max_error_pct; a single spike (1) passes, 2 or more: rollback
--   circuit_trips      coordinator.circuit_open events <= max_circuit_trips, else rollback
CREATE FUNCTION rollout_gate(window_length interval DEFAULT '48 hours',
                             min_success_pct numeric DEFAULT 97,
                             max_manual_review_pct numeric DEFAULT 1,
                             min_confirmation_pct numeric DEFAULT 95,
                             max_error_pct numeric DEFAULT 1,
                             max_circuit_trips integer DEFAULT 0,
                             min_samples integer DEFAULT 200,
                             as_of timestamptz DEFAULT now())
RETURNS TABLE (check_name text, observed numeric, threshold numeric, passed boolean, on_failure text)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    WITH w AS (SELECT * FROM assignment_v3.rollup_window(window_length, as_of)),
    totals AS (
        SELECT coalesce(sum(events) FILTER (WHERE event_type IN ('coordinator.confirmed', 'coordinator.retry',
                   'coordinator.manual_review', 'coordinator.error')), 0) AS decisions,
               coalesce(sum(events) FILTER (WHERE event_type = 'coordinator.confirmed'), 0) AS confirmed,
               coalesce(sum(events) FILTER (WHERE event_type = 'coordinator.manual_review'), 0) AS manual_reviews,
               coalesce(sum(events) FILTER (WHERE event_type = 'coordinator.start'), 0) AS invocations,
               coalesce(sum(events) FILTER (WHERE event_type = 'coordinator.circuit_open'), 0) AS trips
        FROM w),
    buckets AS (
        SELECT d.bucket_start AS b, coalesce(assignment_v3.pct(d.of_outcome, d.decisions), 0) > max_error_pct AS bad
        FROM assignment_v3.decisions_per_bucket(window_length, '5 minutes', as_of, 'coordinator.error') d),
    runs AS (  -- consecutive bad buckets: gaps-and-islands over the 5-minute grid
        SELECT count(*) AS run_length
        FROM (SELECT b, b - (row_number() OVER (ORDER BY b)) * interval '5 minutes' AS island
              FROM buckets WHERE bad) s
        GROUP BY island),
    checks AS (
        SELECT 1 AS n, 'sample_size' AS check_name, t.decisions AS observed, min_samples::numeric AS threshold,
               t.decisions >= min_samples AS passed, 'hold' AS on_failure
        FROM totals t
        UNION ALL
        SELECT 2, 'success_rate', assignment_v3.pct(t.confirmed, t.decisions), min_success_pct,
               coalesce(assignment_v3.pct(t.confirmed, t.decisions) >= min_success_pct, false),
               CASE WHEN coalesce(assignment_v3.pct(t.confirmed, t.decisions), 100) < min_success_pct - 5
                    THEN 'rollback' ELSE 'hold' END
        FROM totals t
        UNION ALL
        SELECT 3, 'manual_review_rate', assignment_v3.pct(t.manual_reviews, t.invocations), max_manual_review_pct,
               coalesce(assignment_v3.pct(t.manual_reviews, t.invocations) < max_manual_review_pct, false),
               CASE WHEN coalesce(assignment_v3.pct(t.manual_reviews, t.invocations), 0) >= 3 * max_manual_review_pct
                    THEN 'rollback' ELSE 'hold' END
        FROM totals t
        UNION ALL
        SELECT 4, 'confirmation_rate', assignment_v3.pct(t.confirmed, t.confirmed + t.manual_reviews),
               min_confirmation_pct,
               coalesce(assignment_v3.pct(t.confirmed, t.confirmed + t.manual_reviews) >= min_confirmation_pct, false),
               CASE WHEN coalesce(assignment_v3.pct(t.confirmed, t.confirmed + t.manual_reviews), 100)
                         < min_confirmation_pct - 5
                    THEN 'rollback' ELSE 'hold' END
        FROM totals t
        UNION ALL
        SELECT 5, 'sustained_errors', coalesce((SELECT max(run_length) FROM runs), 0), 1,
               coalesce((SELECT max(run_length) FROM runs), 0) <= 1, 'rollback'
        UNION ALL
        SELECT 6, 'circuit_trips', t.trips, max_circuit_trips, t.trips <= max_circuit_trips, 'rollback'
        FROM totals t)
    SELECT check_name, observed, threshold, passed, on_failure FROM checks ORDER BY n
$$;
COMMENT ON FUNCTION rollout_gate(interval, numeric, numeric, numeric, numeric, integer, integer, timestamptz) IS
    'The runbook''s exit criteria over a window: one row per check (observed, threshold, passed, on_failure).';

-- proceed (every check passed), hold (a check failed that asks to wait), rollback.
CREATE FUNCTION rollout_verdict(window_length interval DEFAULT '48 hours',
                                min_success_pct numeric DEFAULT 97,
                                max_manual_review_pct numeric DEFAULT 1,
                                min_confirmation_pct numeric DEFAULT 95,
                                max_error_pct numeric DEFAULT 1,
                                max_circuit_trips integer DEFAULT 0,
                                min_samples integer DEFAULT 200,
                                as_of timestamptz DEFAULT now())
RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE
               WHEN bool_or(NOT g.passed AND g.on_failure = 'rollback') THEN 'rollback'
               WHEN bool_or(NOT g.passed) THEN 'hold'
               ELSE 'proceed'
           END
    FROM assignment_v3.rollout_gate(window_length, min_success_pct, max_manual_review_pct, min_confirmation_pct,
                                    max_error_pct, max_circuit_trips, min_samples, as_of) g
$$;

--------------------------------------------------------------------------------------------
-- Privileges
--------------------------------------------------------------------------------------------
-- Nothing is executable by PUBLIC but the helper a check constraint calls; superusers and the
-- roles a DBA grants operate the pipeline (the operator functions are SECURITY DEFINER with a
-- pinned search_path, so EXECUTE on them is all such a role needs). Members of pg_monitor read the statistics, the
-- status and the workers (the statistics functions are SECURITY DEFINER, with search_path
-- pinned, so they need no privilege on the tables). Trigger functions run whatever the
-- caller's privileges: they are SECURITY DEFINER too, with search_path pinned, so an
-- application role needs privileges on bookings only.
REVOKE ALL ON ALL TABLES IN SCHEMA assignment_v3 FROM PUBLIC;
REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA assignment_v3 FROM PUBLIC;
GRANT EXECUTE ON FUNCTION is_known_timezone(text) TO PUBLIC;

GRANT USAGE ON SCHEMA assignment_v3 TO pg_monitor;
GRANT SELECT ON workers TO pg_monitor;
GRANT EXECUTE ON FUNCTION
    outcome_summary(interval, timestamptz), retry_reasons(interval, timestamptz),
    manual_review_by_restaurant(interval, timestamptz), confirmation_rate(interval, interval, timestamptz),
    transition_volume(interval, timestamptz), pipeline_mix(interval, timestamptz),
    error_rate(interval, interval, timestamptz), manual_review_reasons(interval, timestamptz),
    latency(interval, timestamptz), shadow_agreement(interval, timestamptz),
    rollout_gate(interval, numeric, numeric, numeric, numeric, integer, integer, timestamptz),
    rollout_verdict(interval, numeric, numeric, numeric, numeric, integer, integer, timestamptz),
    status(), worker_slots(), circuit_breaker(), launcher(), restaurant_mode(uuid), rollout_bucket(uuid)
TO pg_monitor;

SELECT attach_workers();
