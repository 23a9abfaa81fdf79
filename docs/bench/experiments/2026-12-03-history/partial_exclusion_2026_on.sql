-- Diagnostic only: the exclusion constraint over seatings from 2026 on (the history of section 9
-- starts 2024 and ends 2025), what a partial constraint over future seatings would save.
ALTER TABLE assignment_v3.table_assignments DROP CONSTRAINT table_assignments_no_double_booking;
ALTER TABLE assignment_v3.table_assignments ADD CONSTRAINT table_assignments_no_double_booking
    EXCLUDE USING gist (table_id WITH =, during WITH &&) WHERE (lower(during) >= '2026-01-01');
