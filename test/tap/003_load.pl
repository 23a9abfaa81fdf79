# Load: a client inserts 20,000 bookings over 30 restaurants while 4 workers run. Afterwards
# every booking has been processed and is in a final or runnable state, check_invariants()
# finds nothing, and every committed invocation has exactly one outcome event.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use lib 'test/tap';
use Av3Test;
use Time::HiRes qw(time);

my $node = new_node('load', q{
assignment_v3.max_parallel = 4
assignment_v3.enabled = on
assignment_v3.retry_backoff_base = '200ms'
assignment_v3.retry_backoff_max = '2s'
assignment_v3.max_retries = 3
});
$node->safe_psql('postgres', 'CREATE EXTENSION assignment_v3 CASCADE');
ok($node->poll_query_until('postgres',
        worker_count_sql(), '4'),
    'four workers');

# 30 restaurants of 20 tables (2 to 8 seats, two zones, rows of adjacent tables).
create_city($node, 'Load');

# The client: 40 transactions of 500 bookings, spread over 28 evenings so that most fit.
my $t0 = time;
for my $chunk (1 .. 40) {
    $node->safe_psql('postgres', qq{
        SELECT setseed($chunk / 100.0);
        INSERT INTO assignment_v3.bookings (restaurant_id, party_size, start_at, end_at)
        SELECT r.ids[1 + floor(random() * 30)::int], 1 + floor(random() * random() * 8)::int, s.at,
               s.at + interval '2 hours'
        FROM (SELECT array_agg(id ORDER BY id) AS ids FROM assignment_v3.restaurants) r,
             generate_series(1, 500) g,
             LATERAL (SELECT timestamptz '2030-03-01 17:00+00' + floor(random() * 28 + g * 0) * interval '1 day'
                             + floor(random() * 16) * interval '15 minutes' AS at) s;
    });
}
my $inserted = $node->safe_psql('postgres', 'SELECT count(*) FROM assignment_v3.bookings');
is($inserted, '20000', 'the client inserted 20,000 bookings');

# Every booking is processed at least once (none left in 'created'), and then, retries and
# rate-limited bookings included, every one reaches a final state (confirmed or manual review).
ok($node->poll_query_until('postgres',
        q{SELECT count(*) FROM assignment_v3.bookings WHERE assignment_state = 'created'}, '0'),
    'every booking was processed');
note(sprintf('inserted and processed 20,000 bookings in %.1f s', time - $t0));
ok($node->poll_query_until('postgres',
        q{SELECT count(*) FROM assignment_v3.bookings WHERE assignment_state IN ('created', 'retry_scheduled')}, '0'),
    'every booking reached a final state');
note(sprintf('all final after %.1f s', time - $t0));

my %states = map { split /\|/ } split /\n/, $node->safe_psql('postgres',
    q{SELECT assignment_state, count(*) FROM assignment_v3.bookings GROUP BY 1});
note(join(', ', map { "$_=$states{$_}" } sort keys %states));
my $accounted = 0;
$accounted += $states{$_} // 0 for qw(confirmed manual_review retry_scheduled cancelled created);
is($accounted, 20000, 'every booking is in a final or runnable state');
ok(($states{confirmed} // 0) > 15000, 'most bookings are seated');

is($node->safe_psql('postgres', 'SELECT count(*) FROM assignment_v3.check_invariants()'), '0',
    'check_invariants() finds nothing');

# One outcome event per invocation: per booking, starts and outcomes pair up.
check_outcome_events($node);
is($node->safe_psql('postgres', q{SELECT coalesce(sum(errors), 0) FROM assignment_v3.workers}), '0',
    'no worker error');

$node->stop('fast');
done_testing();
