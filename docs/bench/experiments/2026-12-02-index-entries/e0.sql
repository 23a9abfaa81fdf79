-- Baseline: the schema as shipped (nothing changed).
SELECT 1;
