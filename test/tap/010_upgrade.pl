# Upgrading the extension in place. A database at 1.0 (the released install script, unchanged)
# runs with the 1.1 library: the window between installing a new library and ALTER EXTENSION
# UPDATE. The workers wait, with one log line and status() saying why, while applications keep
# inserting, modifying and cancelling; process_pending() refuses. Data 1.0 left behind is loaded
# (confirmed bookings with their tables and events, overrides, shadow plans). ALTER EXTENSION
# assignment_v3 UPDATE changes no row, the workers resume without a restart and serve the
# waiting bookings, and the upgraded catalog equals a fresh 1.1 install.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use File::Temp qw(tempfile);
use lib 'test/tap';
use Av3Test;

my $node = new_node('upgrade', q{
assignment_v3.max_parallel = 2
assignment_v3.enabled = on
assignment_v3.restaurant_rate_limit = 0
assignment_v3.poll_interval = '200ms'
assignment_v3.event_retention = 0
});

# The released 1.0 script is exactly the one that was released.
my ($sharedir) = run_command(['pg_config', '--sharedir']);
my ($md5) = run_command(['md5sum', "$sharedir/extension/assignment_v3--1.0.sql"]);
like($md5, qr/^51001283510262d03278cf0f8dd9e249 /, 'the released 1.0 install script is unchanged');

my $log_offset = -s $node->logfile;
$node->safe_psql('postgres', q{CREATE EXTENSION assignment_v3 VERSION '1.0' CASCADE});
is($node->safe_psql('postgres', q{SELECT extversion FROM pg_extension WHERE extname = 'assignment_v3'}), '1.0',
    'installed at 1.0');

# The workers notice and wait, with one log line; status() of 1.0 shows it in its launcher column.
$node->wait_for_log(qr/assignment_v3 workers wait: the library is version 1\.1, the extension installed in database "postgres" is 1\.0/,
    $log_offset);
ok($node->poll_query_until('postgres', q{SELECT launcher FROM assignment_v3.status()},
        'waiting for ALTER EXTENSION assignment_v3 UPDATE'), 'status() says the workers wait for the update');

# What 1.0 left behind: a restaurant whose history was decided by 1.0's workers. Written as
# the rows 1.0 wrote them (the guard stands aside for a replica session, as for a restore).
$node->safe_psql('postgres', q{
    INSERT INTO assignment_v3.restaurants (id, name, turn_buffer) VALUES
        ('a0000000-0000-0000-0000-000000000001', 'Upgraded', '10 minutes'),
        ('a0000000-0000-0000-0000-000000000002', 'Overridden', '0');
    INSERT INTO assignment_v3.restaurant_tables (id, restaurant_id, label, capacity, zone)
    SELECT ('a1000000-0000-0000-0000-' || lpad(t::text, 12, '0'))::uuid, 'a0000000-0000-0000-0000-000000000001',
           'T' || t, 2 + 2 * (t % 3), 'main'
    FROM generate_series(1, 12) t;
    INSERT INTO assignment_v3.table_adjacency
    SELECT 'a0000000-0000-0000-0000-000000000001', a.id, b.id FROM assignment_v3.restaurant_tables a
    JOIN assignment_v3.restaurant_tables b ON substr(b.label, 2)::int = substr(a.label, 2)::int + 1;
    INSERT INTO assignment_v3.restaurant_rollout VALUES ('a0000000-0000-0000-0000-000000000002', 'legacy', now());
    SET session_replication_role = replica;
    INSERT INTO assignment_v3.bookings (id, restaurant_id, party_size, start_at, end_at, status, assignment_state,
                                        assignment_version, attempts, next_attempt_at)
    SELECT ('b0000000-0000-0000-0000-' || lpad(g::text, 12, '0'))::uuid, 'a0000000-0000-0000-0000-000000000001', 2,
           timestamptz '2031-05-01 19:00+00' + g * interval '1 day', timestamptz '2031-05-01 21:00+00' + g * interval '1 day',
           'confirmed', 'confirmed', 3, 1, now()
    FROM generate_series(1, 30) g;
    INSERT INTO assignment_v3.table_assignments (booking_id, table_id, restaurant_id, during, pipeline)
    SELECT b.id, 'a1000000-0000-0000-0000-000000000001', b.restaurant_id,
           tstzrange(b.start_at, b.end_at + interval '10 minutes'), 'v3'
    FROM assignment_v3.bookings b;
    INSERT INTO assignment_v3.shadow_plans (booking_id, assignment_version, restaurant_id, outcome, table_ids,
                                            legacy_outcome)
    SELECT id, 1, restaurant_id, 'confirmed', ARRAY['a1000000-0000-0000-0000-000000000001'::uuid], 'confirmed'
    FROM assignment_v3.bookings LIMIT 10;
    RESET session_replication_role;
    INSERT INTO assignment_v3.observability_events (created_at, source, event_type, booking_id, restaurant_id, context)
    SELECT timestamptz '2026-01-01 12:00+00', 'assignment.coordinator', e, b.id, b.restaurant_id,
           jsonb_build_object('version', 3)
    FROM assignment_v3.bookings b, unnest(ARRAY['coordinator.start', 'coordinator.confirmed']) e;
});

# Applications keep working in the window: bookings inserted one by one and many at once,
# modified and cancelled (the triggers use only what every version has).
my $app_grants = q{
    GRANT USAGE ON SCHEMA assignment_v3 TO app;
    GRANT SELECT, INSERT, UPDATE ON assignment_v3.bookings TO app;
};
$node->safe_psql('postgres', "CREATE ROLE app LOGIN; $app_grants");
$node->safe_psql('postgres', q{
    SET ROLE app;
    INSERT INTO assignment_v3.bookings (id, restaurant_id, party_size, start_at, end_at)
    SELECT ('c0000000-0000-0000-0000-' || lpad(g::text, 12, '0'))::uuid, 'a0000000-0000-0000-0000-000000000001',
           1 + g % 4, timestamptz '2031-06-01 19:00+00' + g * interval '1 day',
           timestamptz '2031-06-01 21:00+00' + g * interval '1 day'
    FROM generate_series(1, 20) g;
    UPDATE assignment_v3.bookings SET party_size = 3 WHERE id = 'c0000000-0000-0000-0000-000000000001';
    UPDATE assignment_v3.bookings SET status = 'cancelled' WHERE id = 'c0000000-0000-0000-0000-000000000002';
    UPDATE assignment_v3.bookings SET status = 'cancelled' WHERE id = 'b0000000-0000-0000-0000-000000000001';
});
is($node->safe_psql('postgres', q{SELECT count(*) FROM assignment_v3.table_assignments
    WHERE booking_id = 'b0000000-0000-0000-0000-000000000001'}), '0', 'a cancellation in the window releases the tables');
is($node->safe_psql('postgres', q{SELECT count(*) FROM assignment_v3.bookings WHERE assignment_state = 'created'}), '19',
    'the new bookings wait: no worker assigns them');

my ($rc, $out, $err) = $node->psql('postgres', 'SELECT * FROM assignment_v3.process_pending()');
like($err, qr/process_pending\(\) refuses to run: the library is version 1\.1, the extension installed here 1\.0/,
    'process_pending() refuses in the window');
like($err, qr/HINT:  Run ALTER EXTENSION assignment_v3 UPDATE/, '... and says what to do');

# The update changes no row: digests inside the updating transaction (the workers wait until it
# commits) equal those before. The one column it adds (table_assignments.settled) is left out of
# the digest: every row starts unsettled (checked below).
my $before = table_digests($node, 'postgres');
my %columns_of_1_0 = (table_assignments => 'ROW(r.booking_id, r.table_id, r.restaurant_id, r.during, r.pipeline, r.created_at)');
my $digest_sql = join(" UNION ALL ", map {
    my $row = $columns_of_1_0{$_} // 'r';
    qq{SELECT '$_', count(*) || ' ' || coalesce(md5(string_agg(($row)::text, '|' ORDER BY ($row)::text)), '-') FROM assignment_v3.$_ r}
} business_tables());
$log_offset = -s $node->logfile;
my %after = map { split /\|/ } split /\n/,
    $node->safe_psql('postgres', "BEGIN; ALTER EXTENSION assignment_v3 UPDATE; $digest_sql; COMMIT;");
is_deeply(\%after, $before, 'ALTER EXTENSION assignment_v3 UPDATE keeps every row of every business table');
is($node->safe_psql('postgres', q{SELECT extversion FROM pg_extension WHERE extname = 'assignment_v3'}), '1.1',
    'updated to 1.1');
# (The workers, resumed, may seat the waiting bookings meanwhile: at least the 29 of 1.0.)
is($node->safe_psql('postgres', q{SELECT count(*) >= 29 AND NOT bool_or(settled) FROM assignment_v3.table_assignments}),
    't', 'the seatings of 1.0 come through unsettled');

# The waiting workers resume by themselves and serve the bookings that waited.
$node->wait_for_log(qr/assignment_v3 workers resume: the extension in database "postgres" is version 1\.1/, $log_offset);
ok($node->poll_query_until('postgres', q{SELECT count(*) FROM assignment_v3.bookings WHERE assignment_state = 'created'}, '0'),
    'the workers resume without a restart and serve the waiting bookings');
is($node->safe_psql('postgres', q{SELECT service FROM assignment_v3.status()}), 'serving', 'status() says serving');
is($node->safe_psql('postgres', 'SELECT invariant, booking_id, detail FROM assignment_v3.check_invariants()'), '', 'invariants hold');
is($node->safe_psql('postgres', q{SELECT sum(events) FROM assignment_v3_internal.event_rollup
    WHERE width = 60 AND event_type = 'coordinator.confirmed' AND bucket = '2026-01-01 12:00+00'}),
    '30', 'the rollups of 1.0 moved with their rows');

# The upgraded catalog equals a fresh install of 1.1.
$node->safe_psql('postgres', 'CREATE DATABASE fresh');
$node->safe_psql('fresh', "CREATE EXTENSION assignment_v3 CASCADE; $app_grants");
my $upgraded = extension_catalog($node, 'postgres');
my $fresh = extension_catalog($node, 'fresh');
my ($fh_a, $file_a) = tempfile();
my ($fh_b, $file_b) = tempfile();
print $fh_a $upgraded;
print $fh_b $fresh;
close $fh_a;
close $fh_b;
my ($diff) = run_command(['diff', '-u', $file_a, $file_b]);
is($diff, '', 'the upgraded catalog equals a fresh 1.1 install (pg_dump --schema-only --binary-upgrade of both), '
    . 'the grants a DBA made included');
cmp_ok(scalar(() = $fresh =~ /ALTER EXTENSION assignment_v3 ADD/g), '>', 50,
    'the comparison saw every member object');

$node->stop('fast');
done_testing();
