-- pgbench script of scripts/demo: a guest changes the party size of a recent booking (the
-- booking goes back through the pipeline, its tables released).
UPDATE assignment_v3.bookings SET party_size = 1 + party_size % 6
WHERE id = (SELECT id FROM assignment_v3.bookings
            WHERE status <> 'cancelled' AND created_at > now() - interval '10 seconds'
            ORDER BY created_at DESC LIMIT 1 OFFSET 3);
