-- The schemas. Everything users touch lives in assignment_v3; what only the extension itself
-- calls (trigger functions, rollup internals, small helpers) lives in assignment_v3_internal,
-- which nobody but the extension's owner may use. Both belong to the extension: DROP EXTENSION
-- removes them with everything in them.
--
-- Privileges are explicit for every object, next to its definition: a function is created
-- executable by PUBLIC, so each one is followed by its REVOKE (and the GRANTs it needs).
CREATE SCHEMA assignment_v3;
COMMENT ON SCHEMA assignment_v3 IS
    'assignment_v3: restaurant table assignment. Tables, statistics, operator functions; see docs/reference.md.';
GRANT USAGE ON SCHEMA assignment_v3 TO pg_monitor;

CREATE SCHEMA assignment_v3_internal;
COMMENT ON SCHEMA assignment_v3_internal IS
    'Internals of assignment_v3 (trigger functions, rollups, helpers): not an interface, may change in any release.';
REVOKE ALL ON SCHEMA assignment_v3_internal FROM PUBLIC;

-- Unqualified names below are created in assignment_v3 (CREATE EXTENSION restores the
-- caller's search_path afterwards); internal objects are always schema-qualified.
SET LOCAL search_path = assignment_v3, pg_catalog;
