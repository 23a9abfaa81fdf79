--------------------------------------------------------------------------------------------
-- Bookings: what applications write, and the state the pipeline keeps on each
--------------------------------------------------------------------------------------------

-- Time-ordered booking ids (UUID version 7, RFC 9562), for applications that choose them:
-- each new booking's entries in the three indexes keyed by booking id land at their right
-- edges, which keeps a large history out of the WAL, at the price of two workers writing the
-- same index pages (docs/architecture.md, "Booking ids"). The default stays gen_random_uuid().
-- uuid_v7() is the current time's, uuid_v7(at) a given time's (a migration's past bookings).
-- Like gen_random_uuid(), executable by everyone.
CREATE FUNCTION uuid_v7() RETURNS uuid
    AS 'MODULE_PATHNAME', 'av3_uuid_v7' LANGUAGE C VOLATILE PARALLEL SAFE;
CREATE FUNCTION uuid_v7(at timestamptz) RETURNS uuid
    AS 'MODULE_PATHNAME', 'av3_uuid_v7' LANGUAGE C VOLATILE STRICT PARALLEL SAFE;
GRANT EXECUTE ON FUNCTION uuid_v7() TO PUBLIC;
GRANT EXECUTE ON FUNCTION uuid_v7(timestamptz) TO PUBLIC;
COMMENT ON FUNCTION uuid_v7() IS
    'A time-ordered uuid (version 7: the current time in milliseconds, its fraction, random bits), '
    'for booking ids that keep a large history out of the WAL. Example: SELECT assignment_v3.uuid_v7();';
COMMENT ON FUNCTION uuid_v7(timestamptz) IS
    'A time-ordered uuid (version 7) for the given time, for ids of bookings made in the past '
    '(a migration). Example: SELECT assignment_v3.uuid_v7(now() - interval ''1 day'');';

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
COMMENT ON COLUMN bookings.id IS 'Booking id (generated when omitted).';
COMMENT ON COLUMN bookings.restaurant_id IS 'The restaurant; cannot change (cancel and book again instead).';
COMMENT ON COLUMN bookings.party_size IS 'Guests, 1 to 1000. Changing it sends the booking back through the pipeline.';
COMMENT ON COLUMN bookings.start_at IS 'Arrival. Changing it sends the booking back through the pipeline.';
COMMENT ON COLUMN bookings.end_at IS 'Departure, after start_at and at most 24 hours later.';
COMMENT ON COLUMN bookings.status IS 'pending, confirmed or cancelled; applications set only ''cancelled''.';
COMMENT ON COLUMN bookings.assignment_state IS
    'State machine (owned by assignment_v3): created, retry_scheduled, confirmed, manual_review, cancelled '
    '(capacity_verified and table_selected exist only inside one invocation).';
COMMENT ON COLUMN bookings.assignment_version IS 'Optimistic lock: bumped by every state transition.';
COMMENT ON COLUMN bookings.attempts IS 'Invocations that tried to seat this version of the booking.';
COMMENT ON COLUMN bookings.next_attempt_at IS 'When the booking is next due for the pipeline.';
COMMENT ON COLUMN bookings.last_reason IS 'Why the booking is in its state (context.reason of its last decision).';
COMMENT ON COLUMN bookings.zone_preference IS 'Preferred zone, honoured when it costs nothing.';
COMMENT ON COLUMN bookings.created_at IS 'When the booking was inserted.';
COMMENT ON COLUMN bookings.updated_at IS 'When the booking last changed.';
COMMENT ON COLUMN bookings.queued_at IS 'When this version of the booking started waiting: latency is measured from here.';
SELECT pg_catalog.pg_extension_config_dump('bookings', '');
REVOKE ALL ON TABLE bookings FROM PUBLIC;

-- The claim: runnable bookings by due time, per restaurant (docs/architecture.md §2).
CREATE INDEX bookings_runnable_idx ON bookings (restaurant_id, next_attempt_at)
    WHERE status = 'pending' AND assignment_state IN ('created', 'retry_scheduled');
-- Which restaurants have the oldest due bookings, and when the next one is due.
CREATE INDEX bookings_due_idx ON bookings (next_attempt_at)
    WHERE status = 'pending' AND assignment_state IN ('created', 'retry_scheduled');
-- The manual review queue: status() counts it at every scrape, operators list it; a few rows
-- however long the history.
CREATE INDEX bookings_manual_review_idx ON bookings (restaurant_id) WHERE assignment_state = 'manual_review';
-- Covers checks and operator look-ups by restaurant and time.
CREATE INDEX bookings_restaurant_start_idx ON bookings (restaurant_id, start_at);
