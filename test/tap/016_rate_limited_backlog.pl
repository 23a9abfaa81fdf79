# The backlog of issue 11: one restaurant with 60 tables, 600 bookings due at once,
# restaurant_rate_limit = 50 and restaurant_rate_burst = 50, two workers. The limiter gives
# each waiting booking its own slot: all 600 are seated with at most one rate_limited retry
# each (at most about 1.2 per booking over all), and the gate does not say rollback. The drain
# takes about N / r (noted, not asserted: a slow machine takes longer; docs/BENCHMARKS.md has
# the measured figure).
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time);
use lib 'test/tap';
use Av3Test;

my $node = new_node('backlog', q{
assignment_v3.max_parallel = 2
assignment_v3.enabled = on
assignment_v3.restaurant_rate_limit = 50
assignment_v3.restaurant_rate_burst = 50
});
$node->safe_psql('postgres', q{
    CREATE EXTENSION assignment_v3 CASCADE;
    INSERT INTO assignment_v3.restaurants (id, name) VALUES ('a0000000-0000-0000-0000-000000000001', 'Backlog');
    INSERT INTO assignment_v3.restaurant_tables (restaurant_id, label, capacity)
    SELECT 'a0000000-0000-0000-0000-000000000001', 'T' || t, 4 FROM generate_series(1, 60) t;
});
ok($node->poll_query_until('postgres', worker_count_sql(), '2'), 'two workers');

my $t0 = time;
$node->safe_psql('postgres', q{
    INSERT INTO assignment_v3.bookings (restaurant_id, party_size, start_at, end_at)
    SELECT 'a0000000-0000-0000-0000-000000000001', 2,
           timestamptz '2032-03-01 19:00+00' + (g % 10) * interval '1 day',
           timestamptz '2032-03-01 21:00+00' + (g % 10) * interval '1 day'
    FROM generate_series(1, 600) g});
ok($node->poll_query_until('postgres',
        q{SELECT count(*) FROM assignment_v3.bookings WHERE assignment_state = 'confirmed'}, '600'),
    'all 600 bookings are seated');
my $drain = time - $t0;
my ($max_per_booking, $retries) = split /\|/, $node->safe_psql('postgres', q{
    SELECT max(n), sum(n) FROM (
        SELECT b.id, count(e.id) AS n FROM assignment_v3.bookings b
        LEFT JOIN assignment_v3.observability_events e ON e.booking_id = b.id
         AND e.event_type = 'coordinator.retry' AND e.context->>'reason' = 'rate_limited'
        GROUP BY b.id) s});
note(sprintf('drained in %.1f s (about 550 / 50 = 11 s expected); %d rate_limited retries, %.2f per booking',
    $drain, $retries, $retries / 600));
cmp_ok($max_per_booking, '<=', 1, 'at most one rate_limited retry per booking');
cmp_ok($retries / 600, '<=', 1.2, 'at most 1.2 rate_limited retries per booking over all');
isnt($node->safe_psql('postgres', q{SELECT assignment_v3.rollout_verdict('1 hour', min_samples => 100)}), 'rollback',
    'the gate does not say rollback');
is($node->safe_psql('postgres', q{SELECT passed FROM assignment_v3.rollout_gate('1 hour', min_samples => 100)
    WHERE check_name = 'success_rate'}), 't', 'every booking decided was a success');
is($node->safe_psql('postgres', 'SELECT count(*) FROM assignment_v3.check_invariants()'), '0', 'invariants hold');

$node->stop('fast');
done_testing();
