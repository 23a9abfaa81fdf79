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
    CONSTRAINT bookings_end_at_after_start_at CHECK (end_at > start_at),
    CONSTRAINT bookings_duration_at_most_24_hours
        CHECK (NOT isfinite(start_at) OR end_at <= start_at + interval '24 hours'),
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
CREATE INDEX bookings_due_idx ON bookings (next_attempt_at)
    WHERE status = 'pending' AND assignment_state IN ('created', 'retry_scheduled');
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
CREATE INDEX table_assignments_restaurant_during_idx ON table_assignments
    USING gist (restaurant_id, during);

--------------------------------------------------------------------------------------------
-- Observability events: what the runbook's queries read
--------------------------------------------------------------------------------------------

CREATE TABLE observability_events (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
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
    CONSTRAINT shadow_plans_pkey PRIMARY KEY (booking_id, assignment_version)
);
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
    AS 'MODULE_PATHNAME', 'av3_bookings_guard' LANGUAGE C;
CREATE TRIGGER bookings_guard
    BEFORE INSERT OR UPDATE ON bookings
    FOR EACH ROW EXECUTE FUNCTION bookings_guard();

-- Wakes a coordinator worker when the transaction that inserted or rescheduled bookings commits.
CREATE FUNCTION bookings_wake_workers() RETURNS trigger
    AS 'MODULE_PATHNAME', 'av3_bookings_wake_workers' LANGUAGE C;
CREATE TRIGGER bookings_wake_workers
    AFTER INSERT OR UPDATE ON bookings
    FOR EACH STATEMENT EXECUTE FUNCTION bookings_wake_workers();

-- Tells every worker, after commit, that inventories or rollout overrides changed.
CREATE FUNCTION inventory_changed() RETURNS trigger
    AS 'MODULE_PATHNAME', 'av3_inventory_changed' LANGUAGE C;
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
AS 'MODULE_PATHNAME', 'av3_process_pending' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION process_pending(integer) IS
    'Claims up to max_bookings due bookings and processes them in the calling transaction, '
    'exactly as a worker does; returns one row per invocation.';

CREATE FUNCTION assign_booking(booking_id uuid, pipeline text DEFAULT NULL)
RETURNS TABLE (outcome text, reason text, table_ids uuid[], pipeline text)
AS 'MODULE_PATHNAME', 'av3_assign_booking' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION assign_booking(uuid, text) IS
    'Processes one booking now, whatever its next_attempt_at. pipeline: NULL (the restaurant''s '
    'rollout mode), ''v3'', ''legacy'' or ''shadow''.';

--------------------------------------------------------------------------------------------
-- Operator functions
--------------------------------------------------------------------------------------------

CREATE FUNCTION cancel_booking(booking_id uuid) RETURNS boolean
LANGUAGE plpgsql
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
AS 'MODULE_PATHNAME', 'av3_requeue' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION requeue(uuid) IS
    'Takes a booking out of manual_review: back to created, attempts reset, due now.';

CREATE FUNCTION assign_manually(booking_id uuid, table_ids uuid[]) RETURNS uuid[]
AS 'MODULE_PATHNAME', 'av3_assign_manually' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION assign_manually(uuid, uuid[]) IS
    'Seats a booking at the given tables (pipeline manual), replacing any tables it had. '
    'Refuses tables of another restaurant, inactive or too few seats, and overlaps.';

CREATE FUNCTION reset_circuit_breaker() RETURNS void
AS 'MODULE_PATHNAME', 'av3_reset_circuit_breaker' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION reset_circuit_breaker() IS
    'Closes the circuit breaker at once (after the cause of the errors is fixed).';

--------------------------------------------------------------------------------------------
-- State of the extension
--------------------------------------------------------------------------------------------

CREATE FUNCTION restaurant_mode(restaurant_id uuid) RETURNS text
AS 'MODULE_PATHNAME', 'av3_restaurant_mode' LANGUAGE C STABLE;
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
    OUT last_batch_at timestamptz, OUT batches bigint, OUT invocations bigint, OUT confirmed bigint,
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
LANGUAGE sql STABLE
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
LANGUAGE sql STABLE
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
        ORDER BY e.booking_id, e.id DESC
    ) last
    JOIN assignment_v3.bookings bk ON bk.id = last.booking_id
    WHERE NOT (last.implied = bk.assignment_state
               OR (last.implied = 'runnable' AND bk.assignment_state IN ('created', 'retry_scheduled')))
$$;
COMMENT ON FUNCTION check_invariants() IS
    'Rows describe violations: double-booked tables, confirmed bookings without enough seats, '
    'tables held by unconfirmed bookings, bookings stuck in an intermediate state, and outcome '
    'events that do not match a booking''s state. No rows: healthy.';

SELECT attach_workers();
