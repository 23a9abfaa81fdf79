--------------------------------------------------------------------------------------------
-- The automatic kill switch (docs/rollout-runbook.md, "The kill switch")
--------------------------------------------------------------------------------------------
-- With assignment_v3.auto_rollback on, worker 0 evaluates the gate every second over the last
-- assignment_v3.auto_rollback_window (from the last clear at most). On a rollback verdict it
-- trips: V3 is out of service for every restaurant (as with enabled = off: the legacy planner
-- serves, if on), one coordinator.auto_rollback event records the failed checks and the
-- evidence, and the state is kept here, so that it survives a restart. Only a person clears it,
-- with clear_auto_rollback().
CREATE TABLE assignment_v3_internal.kill_switch (
    singleton  boolean PRIMARY KEY DEFAULT true
        CONSTRAINT kill_switch_has_one_row CHECK (singleton),
    tripped_at timestamptz,  -- NULL: not tripped
    reason     text,
    evidence   jsonb,
    cleared_at timestamptz,  -- the gate judges only what happened after the last clear
    cleared_by text
);
COMMENT ON TABLE assignment_v3_internal.kill_switch IS
    'The automatic kill switch: tripped (tripped_at, reason, evidence) until cleared by clear_auto_rollback().';
REVOKE ALL ON TABLE assignment_v3_internal.kill_switch FROM PUBLIC;
-- A tripped switch stays tripped through a backup and restore.
SELECT pg_catalog.pg_extension_config_dump('assignment_v3_internal.kill_switch', '');

CREATE FUNCTION clear_auto_rollback() RETURNS boolean
AS 'MODULE_PATHNAME', 'av3_clear_auto_rollback' LANGUAGE C VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION clear_auto_rollback() IS
    'Puts V3 back in service after the kill switch tripped (the gate then judges only what happens '
    'from now on); returns false when it was not tripped.'
    ' Example: SELECT assignment_v3.clear_auto_rollback();';
REVOKE ALL ON FUNCTION clear_auto_rollback() FROM PUBLIC;
