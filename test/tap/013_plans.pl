# Plans that follow the queue. The workers start on empty tables and run many batches there
# (a kept statement's plan would by then be generic, made for empty tables); 30,000 bookings
# are then loaded in one statement, with autovacuum off so that no ANALYZE comes to the rescue.
# Every plan the workers use afterwards reads the queue through its indexes: the oldest-due query
# on a partial index of the queue, the claim by primary key, the schedules by restaurant and time; none
# scans a table. The schedule read bounds its index scan by the days it asks for: a plan that
# reads all of a restaurant's seatings and filters them (which made a long history cost,
# docs/BENCHMARKS.md) is refused too, before any history exists to make it slow.
# (auto_explain logs each plan the workers execute.)
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use lib 'test/tap';
use Av3Test;

my $node = new_node('plans', q{
shared_preload_libraries = 'assignment_v3, auto_explain'
autovacuum = off
auto_explain.log_min_duration = 0
auto_explain.log_nested_statements = on
assignment_v3.max_parallel = 2
assignment_v3.enabled = on
assignment_v3.restaurant_rate_limit = 0
assignment_v3.poll_interval = '20ms'
assignment_v3.event_retention = 0
});
$node->safe_psql('postgres', 'CREATE EXTENSION assignment_v3 CASCADE');
create_city($node, 'Plans');
ok($node->poll_query_until('postgres', q{SELECT sum(batches) >= 40 FROM assignment_v3.workers}),
    'the workers ran dozens of batches on the empty queue');

my $log_offset = -s $node->logfile;
$node->safe_psql('postgres', q{
    INSERT INTO assignment_v3.bookings (restaurant_id, party_size, start_at, end_at)
    SELECT r.ids[1 + g % 30], 1 + g % 6,
           timestamptz '2031-11-01 19:00+00' + (g % 120) * interval '1 day',
           timestamptz '2031-11-01 21:00+00' + (g % 120) * interval '1 day'
    FROM (SELECT array_agg(id ORDER BY name) AS ids FROM assignment_v3.restaurants) r,
         generate_series(1, 30000) g});
ok($node->poll_query_until('postgres',
        q{SELECT count(*) FROM assignment_v3.bookings WHERE assignment_state = 'created'}, '0'),
    'the workers drained the load');
# The plans the workers executed after the load, by statement.
my @plans = split /LOG:  duration: [0-9.]+ ms  plan:/, slurp_file($node->logfile, $log_offset);
my %seen = (claim => 0, due => 0, schedule => 0);
my (@bad, @unbounded);
for my $plan (@plans) {
    my ($query) = $plan =~ /Query Text: ([^\n]*)/ or next;
    my $kind = $query =~ /FOR UPDATE SKIP LOCKED/ ? 'claim'
             : $query =~ /ORDER BY next_attempt_at LIMIT/ ? 'due'
             : $query =~ /FROM assignment_v3.table_assignments a\s+WHERE a.restaurant_id/ ? 'schedule'
             : next;
    $seen{$kind}++;
    # The oldest-due query may read either of the queue's partial indexes (both hold exactly the
    # runnable bookings); the planner picks by cost.
    my $index = { claim => 'bookings_pkey', due => 'bookings_due_idx|bookings_runnable_idx',
                  schedule => 'table_assignments_restaurant_start_idx' }->{$kind};
    push @bad, "$kind:$plan" if $plan =~ /Seq Scan/ || $plan !~ /$index/;
    push @unbounded, $plan
        if $kind eq 'schedule' && $plan !~ /Index Cond: [^\n]*lower\(during\) >= d\.lo/;
}
ok($seen{$_} > 10, "the workers ran the $_ statement ($seen{$_} plans after the load)") for sort keys %seen;
is(scalar(@bad), 0, 'every one of them reads through its index, none scans the table')
    or diag(substr($bad[0], 0, 2000));
is(scalar(@unbounded), 0, 'every schedule read scans only the days it asks for')
    or diag(substr($unbounded[0], 0, 2000));
is($node->safe_psql('postgres', q{SELECT count(*) FROM pg_settings
    WHERE name = 'enable_seqscan' AND setting = 'off'}), '0', 'with the planner\'s settings as they are');
is($node->safe_psql('postgres', 'SELECT count(*) FROM assignment_v3.check_invariants()'), '0', 'invariants hold');

$node->stop('fast');
done_testing();
