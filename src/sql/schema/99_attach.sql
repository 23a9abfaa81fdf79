-- The launcher learns, once this transaction commits, that the extension exists here.
SELECT assignment_v3_internal.attach_workers();
