-- Upper bound of "fewer index entries per event": the events keep only their primary key and BRIN
-- (not shippable: operators look events up by booking, the runbook reads them by source and time).
DROP INDEX assignment_v3.observability_events_booking_idx;
DROP INDEX assignment_v3.observability_events_source_created_at_idx;
