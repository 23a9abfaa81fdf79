-- Install, drop and re-create the extension; the objects it owns come and go with it.
CREATE EXTENSION assignment_v3;
SELECT extname, extversion, extrelocatable, extnamespace::regnamespace AS schema
FROM pg_extension WHERE extname = 'assignment_v3';

-- Every table of the public contract (DESIGN §10), owned by the extension.
SELECT c.relname, c.relkind
FROM pg_depend d
JOIN pg_class c ON c.oid = d.objid AND d.classid = 'pg_class'::regclass
WHERE d.refclassid = 'pg_extension'::regclass
  AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'assignment_v3')
  AND c.relkind IN ('r', 'v')
ORDER BY c.relname;

-- The workers serve another database here (test/regress.conf): the pipeline runs on demand.
SELECT state, database FROM assignment_v3.launcher();

DROP EXTENSION assignment_v3;
SELECT count(*) AS schemas_left FROM pg_namespace WHERE nspname = 'assignment_v3';
SELECT count(*) AS functions_left FROM pg_proc WHERE proname = 'process_pending';

-- Re-created cleanly, with fresh tables.
CREATE EXTENSION assignment_v3;
SELECT count(*) AS bookings FROM assignment_v3.bookings;

-- Dropping a depended-on extension is refused; CASCADE would remove ours too.
DROP EXTENSION btree_gist;
