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
COMMENT ON COLUMN shadow_plans.booking_id IS 'The booking planned.';
COMMENT ON COLUMN shadow_plans.assignment_version IS 'The version of the booking the plan is for.';
COMMENT ON COLUMN shadow_plans.restaurant_id IS 'The booking''s restaurant.';
COMMENT ON COLUMN shadow_plans.outcome IS 'What V3 would have decided: confirmed, retry or manual_review.';
COMMENT ON COLUMN shadow_plans.reason IS 'Why, for a retry or manual review.';
COMMENT ON COLUMN shadow_plans.table_ids IS 'The tables V3 would have assigned.';
COMMENT ON COLUMN shadow_plans.computed_at IS 'When the plan was made.';
COMMENT ON COLUMN shadow_plans.legacy_outcome IS 'What the legacy planner then did: confirmed, retry, manual_review, noop or error.';
COMMENT ON COLUMN shadow_plans.legacy_table_ids IS 'The tables the legacy planner assigned.';
SELECT pg_catalog.pg_extension_config_dump('shadow_plans', '');
REVOKE ALL ON TABLE shadow_plans FROM PUBLIC;

CREATE TABLE restaurant_rollout (
    restaurant_id uuid PRIMARY KEY REFERENCES restaurants (id) ON DELETE CASCADE,
    mode          text NOT NULL
        CONSTRAINT restaurant_rollout_mode_is_v3_legacy_or_shadow CHECK (mode IN ('v3', 'legacy', 'shadow')),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE restaurant_rollout IS
    'Per-restaurant override of the rollout percentage: v3, legacy or shadow. '
    'assignment_v3.enabled = off still disables V3 everywhere.';
COMMENT ON COLUMN restaurant_rollout.restaurant_id IS 'The restaurant overridden.';
COMMENT ON COLUMN restaurant_rollout.mode IS 'v3, legacy or shadow, whatever its rollout bucket.';
COMMENT ON COLUMN restaurant_rollout.updated_at IS 'When the override was set.';
SELECT pg_catalog.pg_extension_config_dump('restaurant_rollout', '');
REVOKE ALL ON TABLE restaurant_rollout FROM PUBLIC;
