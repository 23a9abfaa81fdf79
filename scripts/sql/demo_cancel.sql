-- pgbench script of scripts/demo: a guest cancels a recent booking (its tables are released,
-- the restaurant's waiting retries become due).
UPDATE assignment_v3.bookings SET status = 'cancelled'
WHERE id = (SELECT id FROM assignment_v3.bookings
            WHERE status <> 'cancelled' AND created_at > now() - interval '10 seconds'
            ORDER BY created_at DESC LIMIT 1 OFFSET 7);
