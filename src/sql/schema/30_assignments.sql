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
    settled       boolean NOT NULL DEFAULT false,
    CONSTRAINT table_assignments_pkey PRIMARY KEY (booking_id, table_id),
    CONSTRAINT table_assignments_table_fkey FOREIGN KEY (restaurant_id, table_id)
        REFERENCES restaurant_tables (restaurant_id, id),
    CONSTRAINT table_assignments_no_double_booking
        EXCLUDE USING gist (table_id WITH =, during WITH &&) WHERE (NOT settled)
);
COMMENT ON TABLE table_assignments IS
    'Which tables seat which booking, for [start_at, end_at + turn_buffer). The exclusion '
    'constraint makes double booking impossible whatever the concurrency; its index holds the '
    'seatings not yet settled, and new seatings before the settle horizon are also checked '
    'against the settled ones (docs/architecture.md, "Settled seatings").';
COMMENT ON COLUMN table_assignments.booking_id IS 'The confirmed booking seated.';
COMMENT ON COLUMN table_assignments.table_id IS 'A table it is seated at (a combination has one row per table).';
COMMENT ON COLUMN table_assignments.restaurant_id IS 'The restaurant of booking and table.';
COMMENT ON COLUMN table_assignments.during IS 'The time the table is taken: [start_at, end_at + turn_buffer).';
COMMENT ON COLUMN table_assignments.pipeline IS 'Who seated it: v3, legacy or manual (assign_manually()).';
COMMENT ON COLUMN table_assignments.created_at IS 'When the seat was assigned.';
COMMENT ON COLUMN table_assignments.settled IS
    'Set by the extension once the seating ended more than assignment_v3.settle_after ago: it '
    'leaves the exclusion constraint''s index and keeps its table and time. Rows always come in unsettled.';
SELECT pg_catalog.pg_extension_config_dump('table_assignments', '');
REVOKE ALL ON TABLE table_assignments FROM PUBLIC;
-- What a restaurant has booked around a time: a btree on the start of the range. Assignments
-- last at most 28 hours (bookings at most 24, turn buffers at most 4: check constraints), so
-- "overlaps [a, b)" is the range scan "starts in [a - 28 hours, b)" plus a filter. Cheaper to
-- maintain and to search than a second GiST index.
CREATE INDEX table_assignments_restaurant_start_idx ON table_assignments (restaurant_id, lower(during));
