-- GUCs: names, defaults and units; what can be set where; refused values.
SELECT name, setting, unit, context, vartype, min_val, max_val
FROM pg_settings WHERE name LIKE 'assignment\_v3.%' ORDER BY name;

-- Rollout flags take effect on reload for every process at once: not settable in a session.
SET assignment_v3.enabled = off;
SET assignment_v3.max_parallel = 3;
SET assignment_v3.rollout_percent = 50;
-- Postmaster-level settings need a restart.
SET assignment_v3.database = 'other';

-- Tuning knobs may be tried in a superuser session (the workers use postgresql.conf).
SET assignment_v3.batch_size = 500;
SHOW assignment_v3.batch_size;
SET assignment_v3.poll_interval = '2s';
SHOW assignment_v3.poll_interval;
SET assignment_v3.max_event_context_bytes = '16kB';
SHOW assignment_v3.max_event_context_bytes;
SET assignment_v3.event_retention = '7d';
SHOW assignment_v3.event_retention;
RESET ALL;

-- Out of range, malformed, wrong unit, wrong type: refused with the rule.
SET assignment_v3.batch_size = 0;
SET assignment_v3.batch_size = 'many';
SET assignment_v3.poll_interval = '5 parsecs';
SET assignment_v3.poll_interval = '1us';
SET assignment_v3.max_combo_tables = 5;
SET assignment_v3.restaurant_rate_limit = -1;
SET assignment_v3.max_event_context_bytes = '10';
ALTER SYSTEM SET assignment_v3.max_parallel = 11;
ALTER SYSTEM SET assignment_v3.rollout_percent = 101;
ALTER SYSTEM SET assignment_v3.enabled = 'sometimes';
ALTER SYSTEM SET assignment_v3.database = '';
-- The prefix is reserved: a typo is an error, not a silent placeholder.
SET assignment_v3.enable = on;
