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
    'assignment_v3.event_retention. docs/architecture.md lists every event and its keys.';
COMMENT ON COLUMN observability_events.id IS 'Event id; increases within a backend (order by created_at, id).';
COMMENT ON COLUMN observability_events.created_at IS 'When the event happened.';
COMMENT ON COLUMN observability_events.source IS 'assignment.coordinator, assignment.state_machine or auto_assign.';
COMMENT ON COLUMN observability_events.event_type IS 'coordinator.start, coordinator.confirmed, booking.assignment_state_transition, ...';
COMMENT ON COLUMN observability_events.severity IS 'debug, info, warning or error.';
COMMENT ON COLUMN observability_events.booking_id IS 'The booking the event is about (NULL for events about the pipeline).';
COMMENT ON COLUMN observability_events.restaurant_id IS 'The restaurant the event is about.';
COMMENT ON COLUMN observability_events.context IS
    'Event details; a non-success outcome carries "reason". Oversized contexts are truncated and flagged "truncated": true.';
-- The events and where their ids stand are kept by pg_dump (a restore goes on with ids after
-- the restored ones). The rollups are not dumped: restoring the events recounts them.
SELECT pg_catalog.pg_extension_config_dump('observability_events', '');
REVOKE ALL ON TABLE observability_events FROM PUBLIC;
SELECT pg_catalog.pg_extension_config_dump('observability_events_id_seq', '');
CREATE INDEX observability_events_source_created_at_idx
    ON observability_events (source, created_at);
CREATE INDEX observability_events_booking_idx ON observability_events (booking_id);
-- Append-only and time-ordered: a BRIN index answers time windows cheaply (retention goes
-- through the (source, created_at) index, which holds however the rows were loaded).
CREATE INDEX observability_events_created_at_brin ON observability_events USING brin (created_at);
