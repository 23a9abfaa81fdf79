# The pause switch and a logical-replication subscriber (a route to a new major version).
#
# assignment_v3.paused = on (a reload): the workers leave, nothing is assigned and nothing is
# purged, status() says paused; off: they come back and catch up.
#
# A subscriber with the extension installed and its workers paused receives the publisher's
# bookings, tables and events and assigns none of them: its rows equal the publisher's. At the
# cut-over (subscription disabled, event ids moved past the replicated ones, rollups recounted,
# paused = off) it serves new bookings.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use lib 'test/tap';
use Av3Test;

my $workers = worker_count_sql();
my $publisher = new_node('publisher', q{
assignment_v3.max_parallel = 2
assignment_v3.enabled = on
assignment_v3.restaurant_rate_limit = 0
assignment_v3.event_retention = '1min'
}, allows_streaming => 'logical');
$publisher->safe_psql('postgres', 'CREATE EXTENSION assignment_v3 CASCADE');
create_city($publisher, 'Pub');
ok($publisher->poll_query_until('postgres', $workers, '2'), 'two workers');

sub book { my ($node, $day, $n) = @_; book_each_restaurant($node, '2031-08-01', $day, $n); }
my $waiting = q{SELECT count(*) FROM assignment_v3.bookings WHERE assignment_state = 'created'};

# --- The pause switch ------------------------------------------------------------------------
$publisher->safe_psql('postgres', q{ALTER SYSTEM SET assignment_v3.paused = on; SELECT pg_reload_conf()});
ok($publisher->poll_query_until('postgres', $workers, '0'), 'paused: the workers leave');
is($publisher->safe_psql('postgres', q{SELECT service || ' ' || launcher FROM assignment_v3.status()}), 'paused paused',
    'status() says paused');
book($publisher, 0, 4);
$publisher->safe_psql('postgres', q{INSERT INTO assignment_v3.observability_events (created_at, source, event_type)
    SELECT now() - interval '2 days', 'test', 'expired' FROM generate_series(1, 50)});
is($publisher->safe_psql('postgres', $waiting), '120', 'no booking is assigned while paused');
is($publisher->safe_psql('postgres', q{SELECT count(*) FROM assignment_v3.observability_events WHERE event_type = 'expired'}),
    '50', 'no event is purged while paused');
$publisher->safe_psql('postgres', q{ALTER SYSTEM SET assignment_v3.paused = off; SELECT pg_reload_conf()});
ok($publisher->poll_query_until('postgres', $waiting, '0'), 'unpaused: the workers come back and catch up');
ok($publisher->poll_query_until('postgres',
        q{SELECT count(*) FROM assignment_v3.observability_events WHERE event_type = 'expired'}, '0'),
    '... and retention runs again');
$publisher->safe_psql('postgres', q{ALTER SYSTEM SET assignment_v3.event_retention = '14d'; SELECT pg_reload_conf()});

# --- A logical-replication subscriber ----------------------------------------------------------
my $tables = join(', ', map { "assignment_v3.$_" } business_tables());
$publisher->safe_psql('postgres', "CREATE PUBLICATION bookings_move FOR TABLE $tables");
my $subscriber = new_node('subscriber', q{
assignment_v3.max_parallel = 2
assignment_v3.enabled = on
assignment_v3.restaurant_rate_limit = 0
assignment_v3.paused = on
});
$subscriber->safe_psql('postgres', 'CREATE EXTENSION assignment_v3 CASCADE');
my $connection = $publisher->connstr . ' dbname=postgres';
$subscriber->safe_psql('postgres', "CREATE SUBSCRIPTION bookings_move CONNECTION '$connection' PUBLICATION bookings_move");
$subscriber->wait_for_subscription_sync($publisher, 'bookings_move');
is($subscriber->safe_psql('postgres', $workers), '0', 'no worker runs on the paused subscriber');

# Traffic on the publisher, replicated while it is decided there.
book($publisher, 1, 5);
$publisher->safe_psql('postgres', q{UPDATE assignment_v3.bookings SET status = 'cancelled'
    WHERE id IN (SELECT id FROM assignment_v3.bookings ORDER BY id LIMIT 10)});
book($publisher, 2, 5);
ok($publisher->poll_query_until('postgres', $waiting, '0'), 'the publisher assigns');
$publisher->wait_for_catchup('bookings_move');
is_deeply(table_digests($subscriber, 'postgres'), table_digests($publisher, 'postgres'),
    'the subscriber holds exactly the publisher rows: it assigned nothing twice');
is($subscriber->safe_psql('postgres', 'SELECT count(*) FROM assignment_v3.check_invariants()'), '0',
    'invariants hold on the subscriber');

# The cut-over: stop replicating, move the event ids past the replicated ones (sequences are
# not replicated), recount the rollups (the rollup trigger does not fire for replicated rows),
# and unpause.
$subscriber->safe_psql('postgres', q{
    ALTER SUBSCRIPTION bookings_move DISABLE;
    SELECT setval('assignment_v3.observability_events_id_seq', (SELECT max(id) FROM assignment_v3.observability_events));
    SELECT assignment_v3.rebuild_event_rollups(now() - interval '14 days', now() + interval '1 hour');
    ALTER SYSTEM SET assignment_v3.paused = off;
    SELECT pg_reload_conf();
});
ok($subscriber->poll_query_until('postgres', $workers, '2'), 'after the cut-over the workers run');
my $stats = q{SELECT string_agg(s::text, ';' ORDER BY s::text) FROM assignment_v3.outcome_summary('1 day') s};
is($subscriber->safe_psql('postgres', $stats), $publisher->safe_psql('postgres', $stats),
    'the recounted statistics equal the publisher\'s');
book($subscriber, 3, 2);
ok($subscriber->poll_query_until('postgres', $waiting, '0'), 'and serve new bookings');
is($subscriber->safe_psql('postgres', 'SELECT count(*) FROM assignment_v3.check_invariants()'), '0', 'invariants hold');

$subscriber->safe_psql('postgres', 'DROP SUBSCRIPTION bookings_move');
$subscriber->stop('fast');
$publisher->stop('fast');
done_testing();
