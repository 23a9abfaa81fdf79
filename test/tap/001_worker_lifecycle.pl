# Launcher and workers: the launcher waits for CREATE EXTENSION, then keeps max_parallel
# workers running through reloads (3 -> 5 -> 1), restarts a worker that was terminated or
# SIGKILLed (a crash restart of the server), wakes a worker when bookings are inserted, and
# everything stops cleanly.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use lib 'test/tap';
use Av3Test;
use Time::HiRes qw(time);

my $node = new_node('lifecycle', q{
restart_after_crash = on
assignment_v3.max_parallel = 3
assignment_v3.enabled = on
});

my $workers = worker_count_sql();
my $launchers = q{SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'assignment_v3 launcher'};

# Before CREATE EXTENSION: the launcher runs and waits quietly, with no worker.
ok($node->poll_query_until('postgres', $launchers, '1'), 'launcher runs before CREATE EXTENSION');
$node->wait_for_log(qr/waiting for CREATE EXTENSION assignment_v3 in database "postgres"/);
ok($node->poll_query_until('postgres', $workers, '0'), 'no worker while the extension is missing');

# CREATE EXTENSION: the launcher picks it up and starts max_parallel workers.
$node->safe_psql('postgres', 'CREATE EXTENSION assignment_v3 CASCADE');
ok($node->poll_query_until('postgres', $workers, '3'), 'three workers after CREATE EXTENSION');
is($node->safe_psql('postgres', 'SELECT launcher FROM assignment_v3.status()'), 'running', 'status() says running');
is($node->safe_psql('postgres', q{SELECT count(*) FROM assignment_v3.workers WHERE pid IS NOT NULL}),
    '3', 'workers view shows three workers');

# Reloads grow and shrink the set within about a second.
for my $wanted (5, 1) {
    $node->safe_psql('postgres', "ALTER SYSTEM SET assignment_v3.max_parallel = $wanted");
    my $t0 = time;
    $node->reload;
    ok($node->poll_query_until('postgres', $workers, $wanted), "$wanted worker(s) after reload");
    note(sprintf('max_parallel = %d took effect in %.2f s', $wanted, time - $t0));
}
ok(!$node->log_contains(qr/terminating background worker "assignment_v3 worker/),
    'surplus workers left on request, not by being terminated');

# Bookings inserted now are assigned by the worker, woken at commit.
$node->safe_psql('postgres', q{
    INSERT INTO assignment_v3.restaurants (id, name) VALUES ('a0000000-0000-0000-0000-000000000001', 'TAP');
    INSERT INTO assignment_v3.restaurant_tables (restaurant_id, label, capacity)
    SELECT 'a0000000-0000-0000-0000-000000000001', 'T' || g, 4 FROM generate_series(1, 10) g;
    INSERT INTO assignment_v3.bookings (restaurant_id, party_size, start_at, end_at)
    SELECT 'a0000000-0000-0000-0000-000000000001', 2, '2030-01-01 19:00+00', '2030-01-01 21:00+00'
    FROM generate_series(1, 10);
});
ok($node->poll_query_until('postgres',
        q{SELECT count(*) FROM assignment_v3.bookings WHERE assignment_state = 'confirmed'}, '10'),
    'the worker assigns new bookings');

# A terminated worker comes back (after a short backoff), as a new process.
my $pid = $node->safe_psql('postgres',
    q{SELECT pid FROM pg_stat_activity WHERE backend_type = 'assignment_v3 worker'});
$node->safe_psql('postgres', "SELECT pg_terminate_backend($pid)");
ok($node->poll_query_until('postgres',
        qq{SELECT count(*) = 1 AND bool_and(pid <> $pid) FROM pg_stat_activity WHERE backend_type = 'assignment_v3 worker'}),
    'a terminated worker is replaced');

# A SIGKILLed worker takes the server through a crash restart; launcher and worker come back.
$pid = $node->safe_psql('postgres',
    q{SELECT pid FROM pg_stat_activity WHERE backend_type = 'assignment_v3 worker'});
kill 'KILL', $pid;
ok($node->poll_query_until('postgres',
        qq{SELECT count(*) = 1 AND bool_and(pid <> $pid) FROM pg_stat_activity WHERE backend_type = 'assignment_v3 worker'}),
    'after SIGKILL and crash restart, the worker is back');
ok($node->poll_query_until('postgres', $launchers, '1'), 'the launcher is back');
$node->safe_psql('postgres', q{
    INSERT INTO assignment_v3.bookings (restaurant_id, party_size, start_at, end_at)
    SELECT 'a0000000-0000-0000-0000-000000000001', 2, '2030-01-02 19:00+00', '2030-01-02 21:00+00'
    FROM generate_series(1, 5);
});
ok($node->poll_query_until('postgres',
        q{SELECT count(*) FROM assignment_v3.bookings WHERE assignment_state = 'confirmed'}, '15'),
    'bookings are assigned after the crash restart');
is($node->safe_psql('postgres', 'SELECT count(*) FROM assignment_v3.check_invariants()'), '0', 'invariants hold');

# DROP EXTENSION: workers leave, the launcher waits again; CREATE brings them back.
$node->safe_psql('postgres', 'DROP EXTENSION assignment_v3');
ok($node->poll_query_until('postgres', $workers, '0'), 'workers leave when the extension is dropped');
$node->safe_psql('postgres', 'CREATE EXTENSION assignment_v3');
ok($node->poll_query_until('postgres', $workers, '1'), 'and come back when it is created again');

# A clean stop: launcher and workers exit on SIGTERM without errors.
my $log_offset = -s $node->logfile;
$node->stop('fast');
my $log = slurp_file($node->logfile, $log_offset);
unlike($log, qr/exited with exit code [2-9]|terminated by signal/, 'everything stopped cleanly');

done_testing();
