-- Event retention: purge_old_events() deletes, in batches, the events older than
-- assignment_v3.event_retention, then the rollups and shadow plans older than it.
SET search_path = public;
TRUNCATE assignment_v3.observability_events;
DELETE FROM assignment_v3_internal.event_rollup;
DELETE FROM assignment_v3_internal.latency_rollup;
SET assignment_v3.event_retention = '7d';

-- 25 events of 30 days ago, 5 of 8 days ago, 10 of today.
INSERT INTO assignment_v3.observability_events (created_at, source, event_type, context)
SELECT now() - d * interval '1 day', 'assignment.coordinator', 'coordinator.confirmed', '{}'
FROM (SELECT 30 AS d FROM generate_series(1, 25) UNION ALL SELECT 8 FROM generate_series(1, 5)
      UNION ALL SELECT 0 FROM generate_series(1, 10)) s;
SELECT sum(events) AS rolled_up FROM assignment_v3_internal.event_rollup WHERE width = 1;

-- Batches of 20: the first deletes 20, the second the other 10 expired ones and the old rollups.
SELECT assignment_v3.purge_old_events(20) AS deleted;
SELECT count(*) AS left_after_one_batch FROM assignment_v3.observability_events;
SELECT assignment_v3.purge_old_events(20) AS deleted;
SELECT assignment_v3.purge_old_events(20) AS deleted;
SELECT count(*) AS kept, min(created_at) > now() - interval '7 days' AS all_recent
FROM assignment_v3.observability_events;
SELECT sum(events) AS rolled_up_kept FROM assignment_v3_internal.event_rollup WHERE width = 1;

-- event_retention = 0 keeps everything.
SET assignment_v3.event_retention = 0;
INSERT INTO assignment_v3.observability_events (created_at, source, event_type)
VALUES (now() - interval '3 years', 'x', 'ancient');
SELECT assignment_v3.purge_old_events() AS deleted;
SELECT assignment_v3.purge_old_events(0);
RESET assignment_v3.event_retention;
