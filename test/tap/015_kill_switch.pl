# The automatic kill switch. V3 serves with assignment_v3.auto_rollback on (armed); a fault is
# injected under traffic (an assignment trigger that refuses V3's rows); the circuit breaker
# trips, the gate says rollback, and the kill switch takes V3 out of service for every
# restaurant: one coordinator.auto_rollback event with the failed checks, status() says
# tripped, the legacy planner serves. A restart keeps it tripped. Once the fault is fixed,
# clear_auto_rollback() (not for PUBLIC) puts V3 back in service.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use lib 'test/tap';
use Av3Test;

my $node = new_node('kill_switch', q{
assignment_v3.max_parallel = 2
assignment_v3.enabled = on
assignment_v3.legacy_planner = on
assignment_v3.restaurant_rate_limit = 0
assignment_v3.auto_rollback = on
assignment_v3.auto_rollback_window = '5min'
assignment_v3.auto_rollback_min_samples = 50
assignment_v3.circuit_breaker_threshold = 5
assignment_v3.circuit_breaker_cooldown = '1h'
assignment_v3.retry_backoff_base = '200ms'
assignment_v3.retry_backoff_max = '1s'
});
$node->safe_psql('postgres', 'CREATE EXTENSION assignment_v3 CASCADE');
create_city($node, 'Kill');
ok($node->poll_query_until('postgres', worker_count_sql(), '2'), 'two workers');
my $day = 0;
sub book {
    my ($n) = @_;
    $day++;
    book_each_restaurant($node, '2032-02-01', $day, $n, '2');
}
my $settled = q{SELECT count(*) FROM assignment_v3.bookings WHERE assignment_state IN ('created', 'retry_scheduled')};
my $status = q{SELECT auto_rollback FROM assignment_v3.status()};

book(3);
ok($node->poll_query_until('postgres', $settled, '0'), 'V3 seats the first bookings');
is($node->safe_psql('postgres', $status), 'armed', 'the kill switch is armed');
is($node->safe_psql('postgres', q{SELECT string_agg(DISTINCT pipeline, ',') FROM assignment_v3.table_assignments}),
    'v3', 'V3 serves');

# The fault, under traffic.
$node->safe_psql('postgres', q{
    CREATE FUNCTION public.refuse_v3() RETURNS trigger LANGUAGE plpgsql AS
        $$BEGIN RAISE EXCEPTION 'injected fault: the table service is down'; END$$;
    CREATE TRIGGER refuse_v3 BEFORE INSERT ON assignment_v3.table_assignments
        FOR EACH ROW WHEN (NEW.pipeline = 'v3') EXECUTE FUNCTION public.refuse_v3();
});
book(1);
ok($node->poll_query_until('postgres', $status, 'tripped'), 'the kill switch trips');
is($node->safe_psql('postgres', q{SELECT count(*) FROM assignment_v3.observability_events
    WHERE event_type = 'coordinator.auto_rollback'}), '1', 'one coordinator.auto_rollback event');
like($node->safe_psql('postgres', q{SELECT context->>'failed_checks' FROM assignment_v3.observability_events
    WHERE event_type = 'coordinator.auto_rollback'}), qr/circuit_trips/, 'carrying the failed checks');
like($node->safe_psql('postgres', q{SELECT auto_rollback_reason FROM assignment_v3.status()}),
    qr/the rollout gate says rollback: circuit_trips/, 'status() says why');
ok($node->poll_query_until('postgres', $settled, '0'), 'the legacy planner serves what V3 failed');
book(1);
ok($node->poll_query_until('postgres', $settled, '0'), 'and what comes next');
is($node->safe_psql('postgres', q{SELECT count(*) FROM assignment_v3.bookings b
    JOIN assignment_v3.table_assignments a ON a.booking_id = b.id
    WHERE b.start_at >= timestamptz '2032-02-01 19:00+00' + 2 * interval '1 day' AND a.pipeline <> 'legacy'}), '0',
    'seated by legacy only');
is($node->safe_psql('postgres', q{SELECT count(*) FROM assignment_v3.check_invariants()}), '0',
    'nothing lost or half-assigned');

# A restart keeps it tripped.
$node->restart;
ok($node->poll_query_until('postgres', worker_count_sql(), '2'), 'workers after the restart');
is($node->safe_psql('postgres', $status), 'tripped', 'still tripped after a restart');
book(1);
ok($node->poll_query_until('postgres', $settled, '0'), 'bookings are served after the restart');
is($node->safe_psql('postgres', q{SELECT count(*) FROM assignment_v3.table_assignments a
    JOIN assignment_v3.bookings b ON b.id = a.booking_id
    WHERE b.start_at >= timestamptz '2032-02-01 19:00+00' + 4 * interval '1 day' AND a.pipeline = 'v3'}), '0',
    'by legacy: V3 stays out of service');

# Only a person clears it, and not just anyone.
$node->safe_psql('postgres', 'CREATE ROLE visitor LOGIN');
my ($rc, $out, $err) = $node->psql('postgres', 'SET ROLE visitor; SELECT assignment_v3.clear_auto_rollback()');
like($err, qr/permission denied/, 'clear_auto_rollback() is not for PUBLIC');
$node->safe_psql('postgres', q{
    DROP TRIGGER refuse_v3 ON assignment_v3.table_assignments;
    SELECT assignment_v3.reset_circuit_breaker();
});
# A clear rolled back with its savepoint clears nothing, in shared memory either: V3 stays out.
$node->safe_psql('postgres', q{
    BEGIN; SAVEPOINT s; SELECT assignment_v3.clear_auto_rollback(); ROLLBACK TO s; COMMIT;
});
book(1);
ok($node->poll_query_until('postgres', $settled, '0'), 'served after a clear rolled back');
is($node->safe_psql('postgres', q{SELECT count(*) FROM assignment_v3.table_assignments a
    JOIN assignment_v3.bookings b ON b.id = a.booking_id
    WHERE b.start_at >= timestamptz '2032-02-01 19:00+00' + 5 * interval '1 day' AND a.pipeline = 'v3'}), '0',
    'by legacy: a clear rolled back with its savepoint leaves V3 out of service');
is($node->safe_psql('postgres', 'SELECT assignment_v3.clear_auto_rollback()'), 't', 'cleared');
is($node->safe_psql('postgres', $status), 'armed', 'armed again');
book(1);
ok($node->poll_query_until('postgres', $settled, '0'), 'new bookings are served');
is($node->safe_psql('postgres', q{SELECT string_agg(DISTINCT a.pipeline, ',') FROM assignment_v3.table_assignments a
    JOIN assignment_v3.bookings b ON b.id = a.booking_id
    WHERE b.start_at >= timestamptz '2032-02-01 19:00+00' + 6 * interval '1 day'}), 'v3', 'by V3 again');
is($node->safe_psql('postgres', q{SELECT count(*) FROM assignment_v3.observability_events
    WHERE event_type = 'coordinator.auto_rollback'}), '1', 'the window starts at the clear: no new trip');

$node->stop('fast');
done_testing();
