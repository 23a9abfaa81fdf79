-- The public contract of DESIGN §10: tables, columns, types, defaults, keys and constraints.
-- Renaming any of these needs an upgrade path; this test is the list.
BEGIN;
SELECT * FROM no_plan();

SELECT has_schema('assignment_v3');
SELECT tables_are('assignment_v3', ARRAY[
    'restaurants', 'restaurant_tables', 'table_adjacency', 'bookings', 'table_assignments',
    'observability_events', 'shadow_plans', 'restaurant_rollout']);
SELECT tables_are('assignment_v3_internal', ARRAY['event_rollup', 'latency_rollup', 'kill_switch', 'settled_horizon']);
SELECT has_view('assignment_v3', 'workers', 'view workers');

-- restaurants
SELECT columns_are('assignment_v3', 'restaurants',
    ARRAY['id', 'name', 'timezone', 'turn_buffer', 'max_covers_per_slot', 'created_at']);
SELECT col_type_is('assignment_v3', 'restaurants', 'id', 'uuid', 'restaurants.id is uuid');
SELECT col_is_pk('assignment_v3', 'restaurants', 'id', 'restaurants.id is the key');
SELECT col_default_is('assignment_v3', 'restaurants', 'id', 'gen_random_uuid()', 'restaurants.id default');
SELECT col_type_is('assignment_v3', 'restaurants', 'name', 'text', 'restaurants.name is text');
SELECT col_not_null('assignment_v3', 'restaurants', 'name', 'restaurants.name not null');
SELECT col_type_is('assignment_v3', 'restaurants', 'timezone', 'text', 'restaurants.timezone is text');
SELECT col_default_is('assignment_v3', 'restaurants', 'timezone', 'UTC', 'restaurants.timezone default UTC');
SELECT col_type_is('assignment_v3', 'restaurants', 'turn_buffer', 'interval', 'restaurants.turn_buffer is interval');
SELECT col_not_null('assignment_v3', 'restaurants', 'turn_buffer', 'restaurants.turn_buffer not null');
SELECT col_type_is('assignment_v3', 'restaurants', 'max_covers_per_slot', 'integer', 'max_covers_per_slot is integer');
SELECT col_is_null('assignment_v3', 'restaurants', 'max_covers_per_slot', 'max_covers_per_slot is optional');

-- restaurant_tables
SELECT columns_are('assignment_v3', 'restaurant_tables',
    ARRAY['id', 'restaurant_id', 'label', 'capacity', 'min_party', 'zone', 'active']);
SELECT col_is_pk('assignment_v3', 'restaurant_tables', 'id', 'restaurant_tables.id is the key');
SELECT col_type_is('assignment_v3', 'restaurant_tables', 'restaurant_id', 'uuid', 'restaurant_tables.restaurant_id is uuid');
SELECT fk_ok('assignment_v3', 'restaurant_tables', 'restaurant_id', 'assignment_v3', 'restaurants', 'id');
SELECT col_type_is('assignment_v3', 'restaurant_tables', 'capacity', 'integer', 'capacity is integer');
SELECT col_default_is('assignment_v3', 'restaurant_tables', 'min_party', '1', 'min_party default 1');
SELECT col_default_is('assignment_v3', 'restaurant_tables', 'zone', 'main', 'zone default main');
SELECT col_default_is('assignment_v3', 'restaurant_tables', 'active', 'true', 'active default true');
SELECT col_is_unique('assignment_v3', 'restaurant_tables', ARRAY['restaurant_id', 'label'], 'labels unique per restaurant');
SELECT has_check('assignment_v3', 'restaurant_tables', 'restaurant_tables has check constraints');

-- table_adjacency
SELECT columns_are('assignment_v3', 'table_adjacency', ARRAY['restaurant_id', 'table_a', 'table_b']);
SELECT col_is_pk('assignment_v3', 'table_adjacency', ARRAY['restaurant_id', 'table_a', 'table_b'], 'edge is the key');
SELECT fk_ok('assignment_v3', 'table_adjacency', ARRAY['restaurant_id', 'table_a'],
             'assignment_v3', 'restaurant_tables', ARRAY['restaurant_id', 'id']);
SELECT fk_ok('assignment_v3', 'table_adjacency', ARRAY['restaurant_id', 'table_b'],
             'assignment_v3', 'restaurant_tables', ARRAY['restaurant_id', 'id']);
SELECT has_trigger('assignment_v3', 'table_adjacency', 'table_adjacency_check', 'adjacency is normalised');

-- bookings
SELECT columns_are('assignment_v3', 'bookings', ARRAY[
    'id', 'restaurant_id', 'party_size', 'start_at', 'end_at', 'status', 'assignment_state',
    'assignment_version', 'attempts', 'next_attempt_at', 'last_reason', 'zone_preference',
    'created_at', 'updated_at', 'queued_at']);
SELECT col_is_pk('assignment_v3', 'bookings', 'id', 'bookings.id is the key');
SELECT col_default_is('assignment_v3', 'bookings', 'id', 'gen_random_uuid()', 'bookings.id default');
SELECT fk_ok('assignment_v3', 'bookings', 'restaurant_id', 'assignment_v3', 'restaurants', 'id');
SELECT col_type_is('assignment_v3', 'bookings', 'party_size', 'integer', 'party_size is integer');
SELECT col_type_is('assignment_v3', 'bookings', 'start_at', 'timestamp with time zone', 'start_at is timestamptz');
SELECT col_type_is('assignment_v3', 'bookings', 'end_at', 'timestamp with time zone', 'end_at is timestamptz');
SELECT col_default_is('assignment_v3', 'bookings', 'status', 'pending', 'status default pending');
SELECT col_default_is('assignment_v3', 'bookings', 'assignment_state', 'created', 'assignment_state default created');
SELECT col_default_is('assignment_v3', 'bookings', 'assignment_version', '0', 'assignment_version default 0');
SELECT col_default_is('assignment_v3', 'bookings', 'attempts', '0', 'attempts default 0');
SELECT col_default_is('assignment_v3', 'bookings', 'next_attempt_at', 'now()', 'next_attempt_at default now()');
SELECT col_not_null('assignment_v3', 'bookings', c, 'bookings.' || c || ' not null')
FROM unnest(ARRAY['restaurant_id', 'party_size', 'start_at', 'end_at', 'status', 'assignment_state',
                  'assignment_version', 'attempts', 'next_attempt_at', 'created_at', 'updated_at']) c;
SELECT col_is_null('assignment_v3', 'bookings', 'last_reason', 'last_reason is optional');
SELECT col_is_null('assignment_v3', 'bookings', 'zone_preference', 'zone_preference is optional');
SELECT has_index('assignment_v3', 'bookings', 'bookings_runnable_idx', 'partial index on runnable bookings');
SELECT is((SELECT pg_get_expr(indpred, indrelid) IS NOT NULL FROM pg_index
           WHERE indexrelid = 'assignment_v3.bookings_runnable_idx'::regclass), true, 'bookings_runnable_idx is partial');
SELECT has_trigger('assignment_v3', 'bookings', 'bookings_guard', 'state machine guard');
SELECT has_trigger('assignment_v3', 'bookings', 'bookings_wake_workers', 'post-commit wake-up');

-- table_assignments
SELECT columns_are('assignment_v3', 'table_assignments',
    ARRAY['booking_id', 'table_id', 'restaurant_id', 'during', 'pipeline', 'created_at', 'settled']);
SELECT col_type_is('assignment_v3', 'table_assignments', 'during', 'tstzrange', 'during is tstzrange');
SELECT col_type_is('assignment_v3', 'table_assignments', 'pipeline', 'text', 'pipeline is text');
SELECT fk_ok('assignment_v3', 'table_assignments', 'booking_id', 'assignment_v3', 'bookings', 'id');
SELECT is((SELECT pg_get_constraintdef(oid) FROM pg_constraint
           WHERE conname = 'table_assignments_no_double_booking'),
          'EXCLUDE USING gist (table_id WITH =, during WITH &&) WHERE ((NOT settled))',
          'the exclusion constraint, over the seatings not yet settled');
SELECT col_not_null('assignment_v3', 'table_assignments', 'settled', 'settled is NOT NULL');
SELECT col_default_is('assignment_v3', 'table_assignments', 'settled', 'false', 'rows start unsettled');
SELECT triggers_are('assignment_v3', 'table_assignments',
    ARRAY['table_assignments_changed', 'table_assignments_truncated', 'table_assignments_settled_guard',
          'table_assignments_checked_against_settled'],
    'the triggers of table_assignments, the settled-seating guard and check among them');
SELECT has_index('assignment_v3', 'table_assignments', 'table_assignments_restaurant_start_idx',
                 'assignments by restaurant and time');

-- observability_events
SELECT columns_are('assignment_v3', 'observability_events', ARRAY[
    'id', 'created_at', 'source', 'event_type', 'severity', 'booking_id', 'restaurant_id', 'context']);
SELECT col_type_is('assignment_v3', 'observability_events', 'id', 'bigint', 'events.id is bigint');
SELECT col_is_pk('assignment_v3', 'observability_events', 'id', 'events.id is the key');
SELECT is((SELECT attidentity FROM pg_attribute
           WHERE attrelid = 'assignment_v3.observability_events'::regclass AND attname = 'id'), 'a',
          'events.id is an identity column');
SELECT col_type_is('assignment_v3', 'observability_events', 'context', 'jsonb', 'context is jsonb');
SELECT has_index('assignment_v3', 'observability_events', 'observability_events_source_created_at_idx',
                 'events by source and time');

-- shadow_plans, restaurant_rollout
SELECT columns_are('assignment_v3', 'shadow_plans', ARRAY[
    'booking_id', 'assignment_version', 'restaurant_id', 'outcome', 'reason', 'table_ids', 'computed_at',
    'legacy_outcome', 'legacy_table_ids']);
SELECT col_type_is('assignment_v3', 'shadow_plans', 'table_ids', 'uuid[]', 'table_ids is uuid[]');
SELECT col_is_pk('assignment_v3', 'shadow_plans', ARRAY['booking_id', 'assignment_version'], 'plan per booking version');
SELECT columns_are('assignment_v3', 'restaurant_rollout', ARRAY['restaurant_id', 'mode', 'updated_at']);
SELECT col_is_pk('assignment_v3', 'restaurant_rollout', 'restaurant_id', 'one override per restaurant');

-- The rollups behind the statistics: one row per minute and key, maintained by a trigger.
SELECT has_trigger('assignment_v3', 'observability_events', 'observability_events_roll_up', 'events are rolled up');
SELECT col_is_unique('assignment_v3_internal', 'event_rollup',
    ARRAY['width', 'event_type', 'bucket', 'source', 'reason', 'detail', 'restaurant_id', 'writer'], 'rollup key');

-- Every check constraint of the contract is there (by name: the names are the error messages).
SELECT bag_has(
    $$SELECT conname::text FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
      WHERE n.nspname = 'assignment_v3' AND contype = 'c'$$,
    $$SELECT unnest(ARRAY['bookings_party_size_between_1_and_1000', 'bookings_end_at_after_start_at',
          'bookings_status_is_pending_confirmed_or_cancelled', 'bookings_assignment_state_is_known',
          'bookings_confirmed_status_matches_state', 'bookings_cancelled_status_matches_state',
          'restaurant_tables_capacity_between_1_and_100', 'restaurant_tables_min_party_between_1_and_capacity',
          'table_adjacency_stored_once_in_id_order', 'table_assignments_during_must_be_finite_and_half_open',
          'table_assignments_pipeline_is_v3_legacy_or_manual', 'observability_events_context_is_an_object',
          'restaurant_rollout_mode_is_v3_legacy_or_shadow', 'shadow_plans_outcome_is_known'])$$,
    'the check constraints of the contract');

SELECT * FROM finish();
ROLLBACK;
