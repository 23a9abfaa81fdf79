# A streaming standby: no launcher and no worker runs there; every statistics function,
# status() and check_invariants() answer (the runbook's queries are run on a read-only replica)
# with what the primary has; the functions that write say clearly that the server is a
# standby. After promotion the launcher and the workers start and serve.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use lib 'test/tap';
use Av3Test;

my $primary = new_node('primary', q{
assignment_v3.max_parallel = 2
assignment_v3.enabled = on
assignment_v3.restaurant_rate_limit = 0
}, allows_streaming => 1);
$primary->safe_psql('postgres', 'CREATE EXTENSION assignment_v3 CASCADE');
create_city($primary, 'Replica');
my $workers = worker_count_sql();
my $launchers = q{SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'assignment_v3 launcher'};
ok($primary->poll_query_until('postgres', $workers, '2'), 'two workers on the primary');

sub book { my ($node, $day, $n) = @_; book_each_restaurant($node, '2031-07-01', $day, $n); }
book($primary, 0, 5);
ok($primary->poll_query_until('postgres', q{SELECT count(*) FROM assignment_v3.bookings WHERE assignment_state = 'created'}, '0'),
    'the primary assigns');

$primary->backup('base');
my $standby = PostgreSQL::Test::Cluster->new('standby');
$standby->init_from_backup($primary, 'base', has_streaming => 1);
$standby->start;
book($primary, 1, 5);
ok($primary->poll_query_until('postgres', q{SELECT count(*) FROM assignment_v3.bookings WHERE assignment_state = 'created'}, '0'),
    'the primary assigns what comes after the backup too');
$primary->wait_for_catchup($standby);

is($standby->safe_psql('postgres', 'SELECT pg_is_in_recovery()'), 't', 'the standby is in recovery');
is($standby->safe_psql('postgres', "$launchers"), '0', 'no launcher on the standby');
is($standby->safe_psql('postgres', "$workers"), '0', 'no worker on the standby');
is($standby->safe_psql('postgres', 'SELECT service FROM assignment_v3.status()'), 'standby', 'status() says standby');

# Every question of the runbook, answered on the replica as on the primary.
for my $query (
    q{SELECT * FROM assignment_v3.outcome_summary('1 hour')},
    q{SELECT * FROM assignment_v3.retry_reasons('1 hour')},
    q{SELECT * FROM assignment_v3.manual_review_by_restaurant('1 hour')},
    q{SELECT * FROM assignment_v3.confirmation_rate('1 hour', bucket => '1 hour')},
    q{SELECT * FROM assignment_v3.transition_volume('1 hour')},
    q{SELECT * FROM assignment_v3.pipeline_mix('1 hour')},
    q{SELECT * FROM assignment_v3.error_rate('1 hour')},
    q{SELECT * FROM assignment_v3.manual_review_reasons('1 hour')},
    q{SELECT pipeline, confirmations FROM assignment_v3.latency('1 hour')},
    q{SELECT * FROM assignment_v3.shadow_agreement('1 hour')},
    q{SELECT * FROM assignment_v3.rollout_gate('1 hour', min_samples => 10)},
    q{SELECT assignment_v3.rollout_verdict('1 hour', min_samples => 10)},
    q{SELECT queue_depth, due_now, manual_review FROM assignment_v3.status()},
    q{SELECT * FROM assignment_v3.check_invariants()},
  ) {
    my ($rc, $out, $err) = $standby->psql('postgres', $query);
    is($rc, 0, "on the standby: $query") or diag($err);
    is($out, $primary->safe_psql('postgres', $query), "... answers as the primary does");
}
ok($standby->safe_psql('postgres', q{SELECT count(*) FROM assignment_v3.workers}) eq '0',
    'the workers view answers (no worker)');

# What writes says so, clearly.
my $booking = $standby->safe_psql('postgres', q{SELECT id FROM assignment_v3.bookings ORDER BY id LIMIT 1});
my $table = $standby->safe_psql('postgres', q{SELECT id FROM assignment_v3.restaurant_tables ORDER BY id LIMIT 1});
for my $call (['process_pending', 'SELECT * FROM assignment_v3.process_pending()'],
              ['assign_booking', "SELECT * FROM assignment_v3.assign_booking('$booking')"],
              ['requeue', "SELECT assignment_v3.requeue('$booking')"],
              ['assign_manually', "SELECT assignment_v3.assign_manually('$booking', ARRAY['$table'::uuid])"],
              ['cancel_booking', "SELECT assignment_v3.cancel_booking('$booking')"],
              ['purge_old_events', 'SELECT assignment_v3.purge_old_events()'],
              ['reset_circuit_breaker', 'SELECT assignment_v3.reset_circuit_breaker()']) {
    my ($name, $sql) = @$call;
    my ($rc, $out, $err) = $standby->psql('postgres', $sql);
    like($err, qr/assignment_v3\.$name\(\) cannot run on a standby/, "$name() on the standby says why it cannot run");
}

# Promotion: the launcher and the workers start, and serve.
$standby->promote;
ok($standby->poll_query_until('postgres', $workers, '2'), 'after promotion the workers run');
is($standby->safe_psql('postgres', 'SELECT service FROM assignment_v3.status()'), 'serving', 'status() says serving');
book($standby, 2, 3);
ok($standby->poll_query_until('postgres', q{SELECT count(*) FROM assignment_v3.bookings WHERE assignment_state = 'created'}, '0'),
    'the promoted server assigns new bookings');
is($standby->safe_psql('postgres', 'SELECT count(*) FROM assignment_v3.check_invariants()'), '0', 'invariants hold');

$standby->stop('fast');
$primary->stop('fast');
done_testing();
