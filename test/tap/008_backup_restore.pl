# Backups keep every row. A database with bookings in every state (seated by V3, legacy and by
# hand, waiting for a retry, in manual review, cancelled), shadow plans, overrides and events is
# dumped with pg_dump in the custom and the plain format, and restored with pg_restore and psql
# into a new database of the same cluster and into a fresh cluster with the library preloaded.
# Every business table comes back row for row, the event ids go on after the restored ones, the
# statistics (rebuilt from the restored events) answer the same, check_invariants() finds
# nothing. Restoring into the database the workers serve pauses them for as long as the
# restoring session runs; then they serve. Applications cannot use the restore's way in.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use lib 'test/tap';
use Av3Test;

my $settings = q{
assignment_v3.max_parallel = 2
assignment_v3.enabled = on
assignment_v3.shadow = on
assignment_v3.restaurant_rate_limit = 0
assignment_v3.retry_backoff_base = '1h'
assignment_v3.retry_backoff_max = '1h'
assignment_v3.poll_interval = '200ms'
};
my $origin = new_node('origin', $settings);
$origin->safe_psql('postgres', 'CREATE EXTENSION assignment_v3 CASCADE');
create_city($origin, 'Backup');
ok($origin->poll_query_until('postgres', worker_count_sql(), '2'), 'two workers on the origin');

# One restaurant on legacy, one shadowed; bookings of every kind, inserted many at a time.
$origin->safe_psql('postgres', q{
    INSERT INTO assignment_v3.restaurant_rollout
    SELECT id, CASE WHEN name = 'Backup 01' THEN 'legacy' ELSE 'shadow' END, now()
    FROM assignment_v3.restaurants WHERE name IN ('Backup 01', 'Backup 02');
    INSERT INTO assignment_v3.bookings (restaurant_id, party_size, start_at, end_at, zone_preference)
    SELECT r.id, CASE WHEN g % 17 = 0 THEN 40 ELSE 1 + g % 6 END,
           timestamptz '2031-04-01 19:00+00' + (g % 5) * interval '1 day',
           timestamptz '2031-04-01 21:00+00' + (g % 5) * interval '1 day',
           CASE WHEN g % 3 = 0 THEN 'patio' END
    FROM assignment_v3.restaurants r, generate_series(1, 40) g;
});
ok($origin->poll_query_until('postgres', q{SELECT count(*) FROM assignment_v3.bookings WHERE assignment_state = 'created'}, '0'),
    'the workers decided every booking');
# Cancellations, a manual seating, and more bookings than one evening seats (retries wait an hour).
$origin->safe_psql('postgres', q{
    UPDATE assignment_v3.bookings SET status = 'cancelled'
    WHERE id IN (SELECT id FROM assignment_v3.bookings WHERE status = 'confirmed' ORDER BY id LIMIT 25);
    SELECT assignment_v3.requeue(id) FROM assignment_v3.bookings WHERE assignment_state = 'manual_review'
    ORDER BY id LIMIT 1;
    INSERT INTO assignment_v3.bookings (restaurant_id, party_size, start_at, end_at)
    SELECT r.id, 8, '2031-04-10 19:00+00', '2031-04-10 21:00+00'
    FROM assignment_v3.restaurants r, generate_series(1, 30) g WHERE r.name = 'Backup 03';
});
ok($origin->poll_query_until('postgres', q{SELECT count(*) FROM assignment_v3.bookings WHERE assignment_state = 'created'}, '0'),
    'and the second round');
# An operator moves a seated party to another free table.
$origin->safe_psql('postgres', q{
    SELECT assignment_v3.assign_manually(b.id, ARRAY(
        SELECT t.id FROM assignment_v3.restaurant_tables t
        WHERE t.restaurant_id = b.restaurant_id AND t.capacity >= b.party_size
          AND NOT EXISTS (SELECT 1 FROM assignment_v3.table_assignments a
                          WHERE a.table_id = t.id AND a.booking_id <> b.id
                            AND a.during && tstzrange(b.start_at, b.end_at + interval '10 minutes'))
        ORDER BY t.capacity, t.id LIMIT 1))
    FROM (SELECT b.* FROM assignment_v3.bookings b JOIN assignment_v3.restaurants r ON r.id = b.restaurant_id
          WHERE b.assignment_state = 'confirmed' AND r.name = 'Backup 05' ORDER BY b.id LIMIT 1) b;
});
my %states = map { split /\|/ } split /\n/, $origin->safe_psql('postgres',
    q{SELECT assignment_state, count(*) FROM assignment_v3.bookings GROUP BY 1});
note(join(', ', map { "$_=$states{$_}" } sort keys %states));
ok(($states{$_} // 0) > 0, "the origin has bookings in state $_") for qw(confirmed cancelled manual_review retry_scheduled);
is($origin->safe_psql('postgres', q{SELECT string_agg(DISTINCT pipeline, ',' ORDER BY pipeline) FROM assignment_v3.table_assignments}),
    'legacy,manual,v3', 'seated by V3, legacy and by hand');
ok($origin->safe_psql('postgres', 'SELECT count(*) FROM assignment_v3.shadow_plans') > 0, 'with shadow plans');

# A consistent picture to compare with: the workers paused, then dumped in both formats.
$origin->safe_psql('postgres', q{ALTER SYSTEM SET assignment_v3.paused = on; SELECT pg_reload_conf()});
ok($origin->poll_query_until('postgres', worker_count_sql(), '0'), 'origin paused');
my $expected = table_digests($origin, 'postgres');
my $statistics = q{SELECT (SELECT string_agg(s::text, ';' ORDER BY s::text) FROM assignment_v3.outcome_summary('30 days') s)
                          || (SELECT string_agg(l::text, ';' ORDER BY l::text) FROM assignment_v3.latency('30 days') l)
                          || (SELECT string_agg(p::text, ';' ORDER BY p::text) FROM assignment_v3.pipeline_mix('30 days') p)};
my $expected_statistics = $origin->safe_psql('postgres', $statistics);
my $max_event = $origin->safe_psql('postgres', 'SELECT max(id) FROM assignment_v3.observability_events');
my $dir = $origin->basedir;
$origin->command_ok(['pg_dump', '-Fc', '-f', "$dir/app.dump", '-h', $origin->host, '-p', $origin->port, 'postgres'],
    'pg_dump, custom format');
$origin->command_ok(['pg_dump', '-Fp', '-f', "$dir/app.sql", '-h', $origin->host, '-p', $origin->port, 'postgres'],
    'pg_dump, plain format');

# What a restored database must show.
sub check_restored {
    my ($node, $db, $how) = @_;
    is_deeply(table_digests($node, $db), $expected, "$how: every business table comes back row for row");
    is($node->safe_psql($db, $statistics), $expected_statistics,
        "$how: the statistics answer the same (rollups rebuilt from the restored events)");
    is($node->safe_psql($db, 'SELECT invariant, booking_id, detail FROM assignment_v3.check_invariants()'), '',
        "$how: check_invariants() finds nothing");
    cmp_ok($node->safe_psql($db, q{INSERT INTO assignment_v3.observability_events (source, event_type)
        VALUES ('test', 'after_restore') RETURNING id}), '>', $max_event, "$how: event ids go on after the restored ones");
}

# Into a new database of the same cluster (the workers serve another one).
$origin->safe_psql('postgres', 'CREATE DATABASE restored_custom');
$origin->command_ok(['pg_restore', '-d', 'restored_custom', '-h', $origin->host, '-p', $origin->port, "$dir/app.dump"],
    'pg_restore into a new database');
check_restored($origin, 'restored_custom', 'custom format, same cluster');
$origin->safe_psql('postgres', 'CREATE DATABASE restored_plain');
$origin->command_ok(['psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', 'restored_plain', '-h', $origin->host,
    '-p', $origin->port, '-f', "$dir/app.sql"], 'psql of the plain dump into a new database');
check_restored($origin, 'restored_plain', 'plain format, same cluster');

# The restore's way in is a superuser's COPY: an application's COPY or INSERT of a booking
# that claims to be seated is refused.
$origin->safe_psql('restored_plain', q{
    CREATE ROLE app LOGIN;
    GRANT USAGE ON SCHEMA assignment_v3 TO app;
    GRANT SELECT, INSERT ON assignment_v3.bookings TO app;
});
my $restaurant = $origin->safe_psql('restored_plain', q{SELECT id FROM assignment_v3.restaurants ORDER BY name LIMIT 1});
my ($rc, $out, $err) = $origin->psql('restored_plain', qq{SET ROLE app;
COPY assignment_v3.bookings (restaurant_id, party_size, start_at, end_at, status, assignment_state, assignment_version)
FROM STDIN;
$restaurant\t2\t2031-09-01 19:00+00\t2031-09-01 21:00+00\tconfirmed\tconfirmed\t3
\\.
});
like($err, qr/new bookings start with status 'pending'/, "an application's COPY of a seated booking is refused");
($rc, $out, $err) = $origin->psql('restored_plain', qq{INSERT INTO assignment_v3.bookings
    (restaurant_id, party_size, start_at, end_at, status, assignment_state, assignment_version)
    VALUES ('$restaurant', 2, '2031-09-01 19:00+00', '2031-09-01 21:00+00', 'confirmed', 'confirmed', 3)});
like($err, qr/new bookings start with status 'pending'/, "a superuser's INSERT of one too (only a restore's COPY passes)");

# Into a fresh cluster whose workers serve the database restored into.
my $target = new_node('target', $settings . "assignment_v3.database = 'app'\n");
$target->safe_psql('postgres', q{CREATE DATABASE app});
$target->safe_psql('postgres', q{CREATE DATABASE app_custom});
# (Serially: a parallel pg_restore loads extension tables without their foreign-key order, and
# fails loudly; docs/operations.md.)
$target->command_ok(['pg_restore', '-d', 'app_custom', '-h', $target->host, '-p', $target->port, "$dir/app.dump"],
    'pg_restore into a fresh cluster');
check_restored($target, 'app_custom', 'custom format, fresh cluster');

# The plain dump, through a psql session that stays open after it: while it lives, the workers
# of "app" pause.
my $log_offset = -s $target->logfile;
my $restore = $target->background_psql('app', on_error_stop => 1);
$restore->query_safe("\\i $dir/app.sql");
$target->wait_for_log(qr/a restore into database "app" began/, $log_offset);
check_restored($target, 'app', 'plain format into the served database');
is($target->safe_psql('app', 'SELECT service FROM assignment_v3.status()'), 'restoring', 'status() says restoring');
ok($target->poll_query_until('app', worker_count_sql(), '2'), 'the workers run');
my $new_booking = $target->safe_psql('app', qq{
    INSERT INTO assignment_v3.bookings (restaurant_id, party_size, start_at, end_at)
    SELECT id, 2, '2031-09-02 19:00+00', '2031-09-02 21:00+00' FROM assignment_v3.restaurants ORDER BY name LIMIT 1
    RETURNING id});
# After a reload each worker goes once more through its loop: then it has seen the new booking.
# (The time is taken before the reload: a worker may have read the configuration again before
# a timestamp taken after it.)
my $reloaded_at = $target->safe_psql('app', 'SELECT clock_timestamp()');
$target->safe_psql('app', 'SELECT pg_reload_conf()');
ok($target->poll_query_until('app', qq{SELECT count(*) FROM assignment_v3.workers
    WHERE config_loaded_at > '$reloaded_at' AND state = 'paused'}, '2'),
    'both workers looked again since the booking came, and stayed paused');
is($target->safe_psql('app', qq{SELECT assignment_state FROM assignment_v3.bookings WHERE id = '$new_booking'}), 'created',
    'while the restoring session lives, the booking waits');
$restore->quit;
ok($target->poll_query_until('app', qq{SELECT assignment_state FROM assignment_v3.bookings WHERE id = '$new_booking'},
    'confirmed'), 'once it has ended, a new booking is assigned on the restored side');
is($target->safe_psql('app', 'SELECT service FROM assignment_v3.status()'), 'serving', 'status() says serving');
is($target->safe_psql('app', 'SELECT count(*) FROM assignment_v3.check_invariants()'), '0', 'invariants hold');

$origin->stop('fast');
$target->stop('fast');
done_testing();
