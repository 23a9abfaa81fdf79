# The rollout flags are live: each one, flipped with ALTER SYSTEM and a reload, changes what
# the workers do without a restart. legacy -> shadow -> V3 at 0/50/100 % -> rollback under
# load: V3 stops within about a second, legacy takes over, nothing is lost or half-assigned.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use lib 'test/tap';
use Av3Test;
use IPC::Run;
use Time::HiRes qw(time sleep);

my $node = new_node('rollout', q{
assignment_v3.max_parallel = 2
assignment_v3.enabled = off
assignment_v3.shadow = off
assignment_v3.legacy_planner = on
assignment_v3.restaurant_rate_limit = 0
});
$node->safe_psql('postgres', 'CREATE EXTENSION assignment_v3 CASCADE');
my $workers = worker_count_sql();
ok($node->poll_query_until('postgres', $workers, '2'), 'two workers');

$node->safe_psql('postgres', q{
    INSERT INTO assignment_v3.restaurants (name) SELECT 'Rollout ' || lpad(r::text, 2, '0') FROM generate_series(1, 20) r;
    INSERT INTO assignment_v3.restaurant_tables (restaurant_id, label, capacity)
    SELECT r.id, 'T' || t, (ARRAY[2, 4, 4, 6])[1 + t % 4] FROM assignment_v3.restaurants r, generate_series(1, 40) t;
});

my $day = 0;
# Inserts one booking per restaurant (a new day each time) and waits until they are settled.
sub book_round {
    $day++;
    $node->safe_psql('postgres', qq{
        INSERT INTO assignment_v3.bookings (restaurant_id, party_size, start_at, end_at)
        SELECT id, 2, timestamptz '2031-01-01 19:00+00' + $day * interval '1 day',
               timestamptz '2031-01-01 21:00+00' + $day * interval '1 day'
        FROM assignment_v3.restaurants});
    $node->poll_query_until('postgres', qq{
        SELECT count(*) FROM assignment_v3.bookings
        WHERE start_at::date = date '2031-01-01' + $day AND assignment_state <> 'confirmed'}, '0')
      or die 'bookings were not assigned';
    # Which pipeline seated each restaurant's booking of the day.
    return { map { split /\|/ } split /\n/, $node->safe_psql('postgres', qq{
        SELECT r.name, a.pipeline FROM assignment_v3.bookings b
        JOIN assignment_v3.restaurants r ON r.id = b.restaurant_id
        JOIN assignment_v3.table_assignments a ON a.booking_id = b.id
        WHERE b.start_at::date = date '2031-01-01' + $day}) };
}
sub set_flags {
    my (%flags) = @_;
    my $at = $node->safe_psql('postgres',
        join('; ', map { "ALTER SYSTEM SET assignment_v3.$_ = '$flags{$_}'" } sort keys %flags)
          . '; SELECT clock_timestamp()');
    ($at) = $at =~ /(\d{4}-\S+ \S+)$/m;
    $node->reload;
    # The workers say when they last read the configuration: wait until every one has.
    $node->poll_query_until('postgres',
        "SELECT count(*) = 0 FROM assignment_v3.workers WHERE pid IS NOT NULL AND config_loaded_at < '$at'")
      or die 'the workers did not reload';
}
sub count_pipelines { my %c; $c{$_}++ for values %{ $_[0] }; return \%c; }

# Legacy only.
my $seated = book_round();
is_deeply(count_pipelines($seated), { legacy => 20 }, 'legacy serves everything while enabled = off');

# Shadow: legacy still serves; V3's plans are recorded.
set_flags(shadow => 'on');
$seated = book_round();
is_deeply(count_pipelines($seated), { legacy => 20 }, 'shadow: legacy still serves');
is($node->safe_psql('postgres', qq{SELECT count(*) FROM assignment_v3.shadow_plans}), '20', 'shadow: 20 plans recorded');
is($node->safe_psql('postgres', 'SELECT count(*) FROM assignment_v3.shadow_agreement()') > 0, 1, 'shadow agreement report');

# V3 on, 0 %: nothing changes; 50 %: the restaurants whose bucket is below 50; 100 %: all.
set_flags(enabled => 'on', rollout_percent => 0);
is_deeply(count_pipelines(book_round()), { legacy => 20 }, 'enabled at 0 %: still legacy');
my %bucket = map { split /\|/ } split /\n/, $node->safe_psql('postgres',
    'SELECT name, assignment_v3.rollout_bucket(id) FROM assignment_v3.restaurants');
set_flags(rollout_percent => 50);
$seated = book_round();
my @wrong = grep { ($seated->{$_} eq 'v3') != ($bucket{$_} < 50) } keys %$seated;
is(scalar @wrong, 0, '50 %: exactly the restaurants with bucket < 50 run V3');
set_flags(rollout_percent => 100);
is_deeply(count_pipelines(book_round()), { v3 => 20 }, '100 %: V3 serves everything');

# An override wins over the percentage.
$node->safe_psql('postgres', q{INSERT INTO assignment_v3.restaurant_rollout
    SELECT id, 'legacy' FROM assignment_v3.restaurants WHERE name = 'Rollout 01'});
$seated = book_round();
is($seated->{'Rollout 01'}, 'legacy', 'override legacy wins over 100 %');
$node->safe_psql('postgres', 'DELETE FROM assignment_v3.restaurant_rollout');

# Rollback under load: a client inserts bookings continuously while enabled goes off.
my $script = $node->basedir . '/insert_booking.sql';
open(my $fh, '>', $script) or die;
print $fh q{\set r random(1, 20)
\set d random(100, 400)
\set q random(0, 15)
INSERT INTO assignment_v3.bookings (restaurant_id, party_size, start_at, end_at)
SELECT id, 2, timestamptz '2031-01-01 17:00+00' + :d * interval '1 day' + :q * interval '15 minutes',
       timestamptz '2031-01-01 19:00+00' + :d * interval '1 day' + :q * interval '15 minutes'
FROM assignment_v3.restaurants WHERE name = 'Rollout ' || lpad(:r::text, 2, '0');
};
close $fh;
my ($out, $err) = ('', '');
my $client = IPC::Run::start(
    ['pgbench', '-n', '-c', '2', '-T', '8', '-R', '300', '-f', $script, '-h', $node->host, '-p', $node->port, 'postgres'],
    '>', \$out, '2>', \$err);
sleep 3;
my $flip = $node->safe_psql('postgres', q{
    ALTER SYSTEM SET assignment_v3.enabled = off; SELECT pg_reload_conf(); SELECT clock_timestamp()});
($flip) = $flip =~ /(\d{4}-\S+ \S+)$/m;
my $t0 = time;
ok($node->poll_query_until('postgres', qq{
    SELECT count(*) > 0 FROM assignment_v3.observability_events
    WHERE event_type = 'auto_assign.summary' AND created_at > '$flip'}), 'legacy takes over after the flip');
note(sprintf('legacy served its first booking %.2f s after the reload', time - $t0));
my $last_v3 = $node->safe_psql('postgres', qq{
    SELECT extract(epoch FROM max(created_at) - '$flip'::timestamptz)
    FROM assignment_v3.observability_events WHERE event_type = 'coordinator.start'});
note("last V3 invocation started $last_v3 s after the flip");
ok($last_v3 < 1.5, 'V3 stopped claiming within about a second');
$client->finish;
like($out, qr/number of transactions actually processed: \d+/, 'the client ran');
my ($inserted) = $out =~ /number of transactions actually processed: (\d+)/;
note("client inserted $inserted bookings during the flip");

ok($node->poll_query_until('postgres', q{
    SELECT count(*) FROM assignment_v3.bookings WHERE assignment_state IN ('created', 'retry_scheduled')}, '0'),
    'every booking inserted during the flip is settled');
is($node->safe_psql('postgres', 'SELECT count(*) FROM assignment_v3.check_invariants()'), '0',
    'nothing lost, nothing half-assigned, nothing double-booked');
is($node->safe_psql('postgres', q{
    SELECT count(*) FROM assignment_v3.bookings b WHERE b.assignment_state = 'confirmed'
      AND NOT EXISTS (SELECT 1 FROM assignment_v3.table_assignments a WHERE a.booking_id = b.id)}), '0',
    'every confirmed booking holds its tables');

# Partial rollback: lowering the percentage moves restaurants back to legacy, live.
set_flags(enabled => 'on', rollout_percent => 100);
is_deeply(count_pipelines(book_round()), { v3 => 20 }, 'back on V3');
set_flags(rollout_percent => 50);
$seated = book_round();
@wrong = grep { ($seated->{$_} eq 'v3') != ($bucket{$_} < 50) } keys %$seated;
is(scalar @wrong, 0, 'lowering the percentage returns the other half to legacy');

# Both pipelines off: the launcher stops the workers; bookings wait, untouched.
set_flags(enabled => 'off', legacy_planner => 'off');
ok($node->poll_query_until('postgres', $workers, '0'), 'no worker when nothing is to be served');
$node->safe_psql('postgres', q{ALTER SYSTEM SET assignment_v3.legacy_planner = on; SELECT pg_reload_conf()});
ok($node->poll_query_until('postgres', $workers, '2'), 'workers come back with the legacy planner');

$node->stop('fast');
done_testing();
