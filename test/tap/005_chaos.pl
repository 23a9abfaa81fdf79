# Faults under load: a client inserts 50,000 bookings in batches of 250 while 4 workers run;
# after every 12th batch a worker is SIGKILLed (a crash restart of the server) or terminated,
# alternately, the server is once stopped in immediate mode and started again, and max_parallel
# changes twice. Faults are injected by count, not by the clock, so a fast machine and a slow
# one see the same faults. Afterwards every booking
# the client inserted exists exactly once, is in a final or runnable state and settles, nothing
# is double-booked, check_invariants() finds nothing, and every committed invocation has exactly
# one outcome event.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use lib 'test/tap';
use Av3Test;
use Time::HiRes qw(time sleep);

my $total = $ENV{AV3_CHAOS_BOOKINGS} // 50000;
my $batch = 250;

my $node = new_node('chaos', q{
restart_after_crash = on
assignment_v3.max_parallel = 4
assignment_v3.enabled = on
assignment_v3.restaurant_rate_limit = 0
assignment_v3.retry_backoff_base = '100ms'
assignment_v3.retry_backoff_max = '1s'
assignment_v3.max_retries = 3
});
$node->safe_psql('postgres', 'CREATE EXTENSION assignment_v3 CASCADE');
create_city($node, 'Chaos');
my $workers = worker_count_sql();
ok($node->poll_query_until('postgres', $workers, '4'), 'four workers');

# Runs SQL until it succeeds: the server may be restarting after a crash. (A psql refused at
# connection may exit before it has read its input: IPC::Run then dies of the broken pipe,
# which is one more failed try.)
sub until_ok {
    my ($sql) = @_;
    my $deadline = time + 120;
    while (time < $deadline) {
        my ($rc, $out) = eval { $node->psql('postgres', $sql, on_error_stop => 1) };
        return $out if defined $rc && $rc == 0;
        sleep 0.2;
    }
    die "could not run: $sql";
}

# The client's bookings have ids derived from their number, so that a batch whose commit was
# not acknowledged (the server crashed) can be sent again without inserting twice.
sub insert_batch {
    my ($first) = @_;
    my $last = $first + $batch - 1;
    until_ok(qq{
        INSERT INTO assignment_v3.bookings (id, restaurant_id, party_size, start_at, end_at)
        SELECT md5('chaos ' || g)::uuid, r.ids[1 + g % 30], 1 + (g * 7) % 6,
               timestamptz '2031-03-01 17:00+00' + ((g / 30) % 90) * interval '1 day' + ((g / 2700) % 16) * interval '15 minutes',
               timestamptz '2031-03-01 19:00+00' + ((g / 30) % 90) * interval '1 day' + ((g / 2700) % 16) * interval '15 minutes'
        FROM (SELECT array_agg(id ORDER BY name) AS ids FROM assignment_v3.restaurants) r,
             generate_series($first, $last) g
        ON CONFLICT (id) DO NOTHING});
}

my %faults = (sigkill => 0, terminate => 0, immediate_restart => 0, max_parallel_changes => 0);
my $batches = int(($total + $batch - 1) / $batch);
my $every = 12;
my $hits = int($batches / $every);
my %planned = (sigkill => int(($hits + 1) / 2), terminate => int($hits / 2), immediate_restart => 1,
               max_parallel_changes => 2);

# Kills or terminates one running worker; waits (bounded) for one to be running first, and
# tries again when the chosen worker left before the signal reached it.
sub hit_worker {
    my ($how) = @_;
    for my $try (1 .. 50) {
        $node->poll_query_until('postgres', "SELECT ($workers) > 0") or return 0;
        my $pid = until_ok(q{SELECT pid FROM pg_stat_activity WHERE backend_type = 'assignment_v3 worker'
                             ORDER BY random() LIMIT 1});
        next unless $pid;
        if ($how eq 'sigkill') {
            return 1 if kill('KILL', $pid) == 1;
        } else {
            return 1 if until_ok("SELECT pg_terminate_backend($pid)") eq 't';
        }
        sleep 0.05;
    }
    return 0;
}

my $t0 = time;
my $batch_number = 0;
for (my $first = 1; $first <= $total; $first += $batch) {
    insert_batch($first);
    $batch_number++;
    my $progress = $first / $total;
    if ($faults{immediate_restart} == 0 && $progress >= 0.5) {
        $node->stop('immediate');
        $node->start;
        $faults{immediate_restart}++;
    }
    if (($faults{max_parallel_changes} == 0 && $progress >= 0.3) || ($faults{max_parallel_changes} == 1 && $progress >= 0.7)) {
        my $n = $faults{max_parallel_changes} == 0 ? 2 : 4;
        until_ok("ALTER SYSTEM SET assignment_v3.max_parallel = $n; SELECT pg_reload_conf()");
        $faults{max_parallel_changes}++;
    }
    next if $batch_number % $every != 0;
    my $how = ($batch_number / $every) % 2 == 1 ? 'sigkill' : 'terminate';
    $faults{$how}++ if hit_worker($how);
}
note(sprintf('client done in %.0f s; faults injected: %s', time - $t0,
    join(', ', map { "$_=$faults{$_}" } sort keys %faults)));
is_deeply(\%faults, \%planned, "every planned fault was injected ($planned{sigkill} SIGKILLs, $planned{terminate} terminations)");

ok($node->poll_query_until('postgres', $workers, '4'), 'four workers again after the last fault');
ok($node->poll_query_until('postgres', q{
    SELECT count(*) FROM assignment_v3.bookings WHERE assignment_state IN ('created', 'retry_scheduled')}, '0'),
    'every booking settles');

is($node->safe_psql('postgres', qq{SELECT count(*) FROM assignment_v3.bookings}), $total,
    "bookings inserted ($total) = bookings accounted for");
is($node->safe_psql('postgres', qq{
    SELECT count(*) FROM generate_series(1, $total) g
    WHERE NOT EXISTS (SELECT 1 FROM assignment_v3.bookings b WHERE b.id = md5('chaos ' || g)::uuid)}), '0',
    'every booking the client inserted is there');
my %states = map { split /\|/ } split /\n/, $node->safe_psql('postgres',
    q{SELECT assignment_state, count(*) FROM assignment_v3.bookings GROUP BY 1});
note(join(', ', map { "$_=$states{$_}" } sort keys %states));
my $final = ($states{confirmed} // 0) + ($states{manual_review} // 0) + ($states{cancelled} // 0);
is($final, $total, 'every booking is in a final state');
ok(($states{confirmed} // 0) > 0.8 * $total, 'most bookings are seated');
is($node->safe_psql('postgres', 'SELECT count(*) FROM assignment_v3.check_invariants()'), '0',
    'check_invariants() finds nothing');
is($node->safe_psql('postgres', q{
    SELECT count(*) FROM assignment_v3.table_assignments a JOIN assignment_v3.table_assignments b
      ON a.table_id = b.table_id AND a.booking_id < b.booking_id AND a.during && b.during}), '0',
    'no table is double-booked');
check_outcome_events($node);
is($node->safe_psql('postgres', q{
    SELECT count(*) FROM pg_locks l WHERE l.locktype = 'advisory'
      AND NOT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.pid = l.pid)}), '0',
    'no lock is held by a process that is gone');
my $crashes = () = slurp_file($node->logfile) =~ /terminated by signal 9/g;
note("crash restarts survived: $crashes");

$node->stop('fast');
done_testing();
