# Faults inside a batch and around the workers: a statement timeout (the batch rolls back
# whole, the circuit breaker opens, nothing is half-written), a deadlock (the batch is redone
# booking by booking), the extension dropped and re-created under load, the workers running as
# a least-privilege role, and event retention by worker 0.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use lib 'test/tap';
use Av3Test;
use IPC::Run;
use Time::HiRes qw(time sleep);

my $node = new_node('faults', q{
assignment_v3.max_parallel = 2
assignment_v3.enabled = on
assignment_v3.circuit_breaker_threshold = 3
assignment_v3.circuit_breaker_cooldown = '1h'
deadlock_timeout = '300ms'
});

my $setup = q{
    CREATE EXTENSION IF NOT EXISTS assignment_v3 CASCADE;
    INSERT INTO assignment_v3.restaurants (id, name) VALUES
        ('a0000000-0000-0000-0000-000000000001', 'Slow'), ('a0000000-0000-0000-0000-000000000002', 'Locked'),
        ('a0000000-0000-0000-0000-000000000003', 'Fine');
    INSERT INTO assignment_v3.restaurant_tables (restaurant_id, label, capacity)
    SELECT r.id, 'T' || t, 4 FROM assignment_v3.restaurants r, generate_series(1, 20) t;
};
$node->safe_psql('postgres', $setup);
my $workers = worker_count_sql();
ok($node->poll_query_until('postgres', $workers, '2'), 'two workers');

sub book {
    my ($restaurant, $n, $day) = @_;
    $node->safe_psql('postgres', qq{
        INSERT INTO assignment_v3.bookings (restaurant_id, party_size, start_at, end_at)
        SELECT 'a0000000-0000-0000-0000-00000000000$restaurant', 2,
               timestamptz '2031-01-01 19:00+00' + $day * interval '1 day', timestamptz '2031-01-01 21:00+00' + $day * interval '1 day'
        FROM generate_series(1, $n)});
}
sub scalar_query { return $node->safe_psql('postgres', $_[0]); }

# --- A statement timeout inside the batch ----------------------------------------------------
$node->safe_psql('postgres', q{
    CREATE FUNCTION public.slow_down() RETURNS trigger LANGUAGE plpgsql AS
        'BEGIN PERFORM pg_sleep(2); RETURN NEW; END';
    CREATE TRIGGER slow_down BEFORE INSERT ON assignment_v3.table_assignments FOR EACH ROW
        WHEN (NEW.restaurant_id = 'a0000000-0000-0000-0000-000000000001') EXECUTE FUNCTION public.slow_down();
    ALTER SYSTEM SET statement_timeout = '500ms';
    SELECT pg_reload_conf();
});
my $log_offset = -s $node->logfile;
book(1, 5, 1);
book(3, 5, 1);
ok($node->poll_query_until('postgres', q{SELECT state FROM assignment_v3.circuit_breaker()}, 'open'),
    'batches that time out open the circuit breaker');
$node->wait_for_log(qr/canceling statement due to statement timeout/, $log_offset);
is(scalar_query(q{SELECT count(*) FROM assignment_v3.table_assignments a
    JOIN assignment_v3.bookings b ON b.id = a.booking_id WHERE b.restaurant_id = 'a0000000-0000-0000-0000-000000000001'}),
    '0', 'nothing of the timed-out batches was written');
is(scalar_query(q{SELECT count(*) FROM assignment_v3.bookings WHERE restaurant_id = 'a0000000-0000-0000-0000-000000000001'
    AND assignment_state = 'created'}), '5', 'the bookings stay runnable, untouched');
is(scalar_query('SELECT count(*) FROM assignment_v3.check_invariants()'), '0', 'invariants hold while failing');
# The trip is written by the worker's next batch, in a transaction of its own (shared memory
# shows the open breaker first): waited for, then checked again once the errors are counted.
my $trips = q{SELECT count(*) FROM assignment_v3.observability_events WHERE event_type = 'coordinator.circuit_open'};
ok($node->poll_query_until('postgres', $trips, '1'), 'the trip is recorded');
ok(scalar_query(q{SELECT coalesce(sum(errors), 0) FROM assignment_v3.workers}) >= 3, 'the workers count their errors');
like(scalar_query(q{SELECT string_agg(last_error, ' ') FROM assignment_v3.workers}), qr/statement timeout/,
    'and show the last one');
is(scalar_query($trips), '1', 'the trip is recorded once (the cooldown is an hour: no probe, no second trip)');

# The fault is fixed: everything is served.
$node->safe_psql('postgres', q{
    DROP TRIGGER slow_down ON assignment_v3.table_assignments;
    ALTER SYSTEM RESET statement_timeout;
    SELECT pg_reload_conf();
    SELECT assignment_v3.reset_circuit_breaker();
});
ok($node->poll_query_until('postgres', q{SELECT count(*) FROM assignment_v3.bookings WHERE assignment_state <> 'confirmed'}, '0'),
    'after the fix every booking is seated');

# --- A deadlock inside the batch -------------------------------------------------------------
# A DBA's trigger takes an advisory lock that another session holds; that session then waits
# for the booking the worker holds: a deadlock, which the worker loses. Its batch is redone
# booking by booking.
$node->safe_psql('postgres', q{
    CREATE FUNCTION public.take_lock() RETURNS trigger LANGUAGE plpgsql AS
        'BEGIN PERFORM pg_advisory_xact_lock(4242); RETURN NEW; END';
    CREATE TRIGGER take_lock BEFORE INSERT ON assignment_v3.table_assignments FOR EACH ROW
        WHEN (NEW.restaurant_id = 'a0000000-0000-0000-0000-000000000002') EXECUTE FUNCTION public.take_lock();
});
my $other = $node->background_psql('postgres', on_error_stop => 0);
# The session checks for deadlocks much later than the worker (300 ms): the worker is the one
# that finds the cycle, and the one that gives up.
$other->query_safe("SET deadlock_timeout = '10s'");
$other->query_safe('BEGIN');
$other->query_safe('SELECT pg_advisory_xact_lock(4242)');
$log_offset = -s $node->logfile;
$node->safe_psql('postgres', q{
    INSERT INTO assignment_v3.bookings (id, restaurant_id, party_size, start_at, end_at)
    VALUES ('b0000000-0000-0000-0000-000000000042', 'a0000000-0000-0000-0000-000000000002', 2,
            '2031-02-01 19:00+00', '2031-02-01 21:00+00')});
ok($node->poll_query_until('postgres', q{SELECT count(*) > 0 FROM pg_locks l
    JOIN pg_stat_activity a ON a.pid = l.pid
    WHERE l.locktype = 'advisory' AND l.objid = 4242 AND NOT l.granted AND a.backend_type = 'assignment_v3 worker'}),
    'a worker waits for the lock inside its batch');
my $out = $other->query_until(qr/updated/,
    "UPDATE assignment_v3.bookings SET party_size = 3 WHERE id = 'b0000000-0000-0000-0000-000000000042';\n\\echo updated\n");
$other->query('COMMIT');
$other->quit;
$node->wait_for_log(qr/a batch failed and is processed again booking by booking/, $log_offset);
ok(slurp_file($node->logfile, $log_offset) =~ /deadlock detected/, 'the worker lost a deadlock');
ok($node->poll_query_until('postgres', q{SELECT assignment_state || ' ' || party_size FROM assignment_v3.bookings
    WHERE id = 'b0000000-0000-0000-0000-000000000042'}, 'confirmed 3'),
    'the booking is seated with the size the other session gave it');
is(scalar_query('SELECT count(*) FROM assignment_v3.check_invariants()'), '0', 'invariants hold after the deadlock');
$node->safe_psql('postgres', 'DROP TRIGGER take_lock ON assignment_v3.table_assignments');

# --- The extension dropped and re-created while workers run under load ------------------------
my $script = $node->basedir . '/book.sql';
open(my $fh, '>', $script) or die;
print $fh q{INSERT INTO assignment_v3.bookings (restaurant_id, party_size, start_at, end_at)
SELECT 'a0000000-0000-0000-0000-000000000003', 2, timestamptz '2031-06-01 19:00+00' + random() * interval '300 days',
       timestamptz '2031-06-01 21:00+00' + random() * interval '300 days';
};
close $fh;
my ($pgb_out, $pgb_err) = ('', '');
my $client = IPC::Run::start(['pgbench', '-n', '-c', '2', '-T', '6', '-R', '200', '-f', $script,
    '-h', $node->host, '-p', $node->port, 'postgres'], '>', \$pgb_out, '2>', \$pgb_err);
sleep 2;
$log_offset = -s $node->logfile;
$node->safe_psql('postgres', 'DROP EXTENSION assignment_v3 CASCADE');
ok($node->poll_query_until('postgres', $workers, '0'), 'the workers leave when the extension is dropped under load');
$client->finish;
$node->safe_psql('postgres', $setup);
ok($node->poll_query_until('postgres', $workers, '2'), 'and come back when it is created again');
book(3, 15, 2);
ok($node->poll_query_until('postgres', q{SELECT count(*) FROM assignment_v3.bookings WHERE assignment_state = 'confirmed'}, '15'),
    'bookings are served again');
# Dropped and created again in one transaction (a reinstall script): the workers running then
# carry on, and all of them serve, not just the one that finds the extension first.
my $reinstalled_at = $node->safe_psql('postgres', "BEGIN; DROP EXTENSION assignment_v3 CASCADE; $setup COMMIT; SELECT now();");
book(3, 5, 3);
ok($node->poll_query_until('postgres', qq{SELECT count(*) FROM assignment_v3.workers
    WHERE pid IS NOT NULL AND last_batch_at > '$reinstalled_at'::timestamptz + interval '2 seconds'}, '2'),
    'both workers serve after DROP and CREATE EXTENSION in one transaction');
unlike(slurp_file($node->logfile, $log_offset), qr/terminated by signal|server process .* was terminated/,
    'no process crashed');

# --- Workers as a least-privilege role ---------------------------------------------------------
$node->safe_psql('postgres', q{
    CREATE ROLE av3_worker LOGIN;
    SELECT assignment_v3.grant_worker_privileges('av3_worker');
    ALTER SYSTEM SET assignment_v3.role = 'av3_worker';
    ALTER SYSTEM SET assignment_v3.event_retention = '1min';
    ALTER SYSTEM SET assignment_v3.shadow = on;
});
$node->restart;
ok($node->poll_query_until('postgres', q{SELECT count(*) FROM pg_stat_activity a JOIN pg_roles r ON r.rolname = a.usename
    WHERE a.backend_type = 'assignment_v3 worker' AND a.usename = 'av3_worker' AND NOT r.rolsuper}, '2'),
    'the workers run as av3_worker, not a superuser');
$node->safe_psql('postgres', q{
    INSERT INTO assignment_v3.restaurant_rollout VALUES ('a0000000-0000-0000-0000-000000000002', 'legacy'),
                                                       ('a0000000-0000-0000-0000-000000000001', 'shadow');
    INSERT INTO assignment_v3.observability_events (created_at, source, event_type)
    SELECT now() - interval '2 days', 'test', 'expired' FROM generate_series(1, 100);
});
book($_, 5, 3) for 1 .. 3;
ok($node->poll_query_until('postgres', q{SELECT count(*) FROM assignment_v3.bookings WHERE assignment_state = 'created'}, '0'),
    'V3, legacy and shadow all work without superuser privileges');
is(scalar_query(q{SELECT string_agg(DISTINCT pipeline, ',' ORDER BY pipeline) FROM assignment_v3.table_assignments a
    JOIN assignment_v3.bookings b ON b.id = a.booking_id WHERE b.start_at::date = '2031-01-04'}), 'legacy,v3',
    'both pipelines wrote assignments');
ok(scalar_query('SELECT count(*) FROM assignment_v3.shadow_plans') > 0, 'shadow plans were written');
ok($node->poll_query_until('postgres', q{SELECT count(*) FROM assignment_v3.observability_events WHERE event_type = 'expired'}, '0'),
    'worker 0 deleted the expired events');
is(scalar_query('SELECT coalesce(sum(errors), 0) FROM assignment_v3.workers'), '0', 'without a single error');

$node->stop('fast');
done_testing();
