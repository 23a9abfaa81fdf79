-- Diagnostic only (never in production): what the full-page images cost the history drain.
ALTER SYSTEM SET full_page_writes = off;
SELECT pg_reload_conf();
