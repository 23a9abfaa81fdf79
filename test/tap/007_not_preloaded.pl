# Without shared_preload_libraries: CREATE EXTENSION works and warns that no worker will run;
# the pipeline still runs on demand (process_pending()), with a backend-local circuit breaker
# and rate limit, and status() says why nothing runs in the background. A session's cached
# restaurants see the table changes other sessions commit, also after the session changed a
# table itself (there is no shared counter to tell it: each transaction reads afresh).
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('plain');
$node->init;
$node->start;

my ($rc, $out, $err) = $node->psql('postgres', 'CREATE EXTENSION assignment_v3 CASCADE');
is($rc, 0, 'CREATE EXTENSION works without preloading');
like($err, qr/WARNING:  assignment_v3 is not in shared_preload_libraries: no background worker will assign bookings/,
    'and warns that no worker will run');
like($err, qr/HINT:  Add assignment_v3 to shared_preload_libraries/, 'with what to do');
is($node->safe_psql('postgres', q{SELECT count(*) FROM pg_stat_activity WHERE backend_type LIKE 'assignment_v3%'}),
    '0', 'no launcher, no worker');
is($node->safe_psql('postgres', 'SELECT launcher FROM assignment_v3.status()'), 'not preloaded',
    'status() says the library is not preloaded');

$node->safe_psql('postgres', q{
    INSERT INTO assignment_v3.restaurants (id, name) VALUES ('a0000000-0000-0000-0000-000000000001', 'On demand');
    INSERT INTO assignment_v3.restaurant_tables (restaurant_id, label, capacity)
    VALUES ('a0000000-0000-0000-0000-000000000001', 'T1', 4);
    INSERT INTO assignment_v3.bookings (restaurant_id, party_size, start_at, end_at)
    VALUES ('a0000000-0000-0000-0000-000000000001', 2, '2031-01-01 19:00+00', '2031-01-01 21:00+00');
});
is($node->safe_psql('postgres', q{SELECT pipeline || ' ' || outcome FROM assignment_v3.process_pending()}),
    'legacy confirmed', 'process_pending() assigns on demand (legacy by default)');
is($node->safe_psql('postgres', q{SELECT shared FROM assignment_v3.circuit_breaker()}), 'f',
    'the circuit breaker is local to the backend');
is($node->safe_psql('postgres', q{SELECT service FROM assignment_v3.status()}), 'not preloaded',
    'status() service says so too');

# One long-lived session processes bookings on demand; another changes the tables.
$node->append_conf('postgresql.conf', 'assignment_v3.enabled = on');
$node->reload;
my $operator = $node->background_psql('postgres', on_error_stop => 1);
$operator->query_safe(q{
    INSERT INTO assignment_v3.restaurant_rollout VALUES ('a0000000-0000-0000-0000-000000000001', 'v3', now())});
$operator->query_safe(q{
    UPDATE assignment_v3.restaurant_tables SET label = 'T1' WHERE label = 'T1'});  # it changed a table itself
# Books one more evening, processes what is due in the long-lived session, and tells where
# every booking of the restaurant sits.
sub book_and_process {
    my ($day) = @_;
    $node->safe_psql('postgres', qq{
        INSERT INTO assignment_v3.bookings (restaurant_id, party_size, start_at, end_at)
        VALUES ('a0000000-0000-0000-0000-000000000001', 2, '2031-01-0$day 19:00+00', '2031-01-0$day 21:00+00')});
    $operator->query_safe('SELECT count(*) FROM assignment_v3.process_pending()');
    return $node->safe_psql('postgres', q{
        SELECT string_agg(b.assignment_state || ' ' || coalesce(t.label, '-'), ',' ORDER BY b.start_at)
        FROM assignment_v3.bookings b
        LEFT JOIN assignment_v3.table_assignments a ON a.booking_id = b.id
        LEFT JOIN assignment_v3.restaurant_tables t ON t.id = a.table_id});
}
is(book_and_process(2), 'confirmed T1,confirmed T1', 'the session seats at T1 (and caches the restaurant)');
$node->safe_psql('postgres', q{
    INSERT INTO assignment_v3.restaurant_tables (restaurant_id, label, capacity)
    VALUES ('a0000000-0000-0000-0000-000000000001', 'T2', 4);
    UPDATE assignment_v3.restaurant_tables SET active = false WHERE label = 'T1';
});
is(book_and_process(3), 'confirmed T2,confirmed T2,confirmed T2',
    'another session\'s change is seen at once: nothing at the inactive T1, all at the new T2');
$operator->quit;
is($node->safe_psql('postgres', 'SELECT count(*) FROM assignment_v3.check_invariants()'), '0', 'invariants hold');

$node->stop('fast');
done_testing();
