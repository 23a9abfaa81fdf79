# Retention on a table loaded out of time order (a migration, a bulk load): the events' BRIN
# index on created_at then matches every page range, and a delete that found the old events
# through it read the whole table on every pass (2.5 s over 10 million events, once a minute).
# Here 200,000 events are loaded in random order, a few old ones among them; every pass of
# purge_old_events() must find the old events through the (source, created_at) index and
# delete them by ctid (no table read whole, whatever the planner thinks of a join by id at
# this size), the old rollups of both tables through their (width, bucket) indexes; each pass
# must report a full batch until the last (the worker goes on at once while it does); and
# retention must delete exactly the old events of every source, its own and an application's,
# and the rollups older than the cutoff, keeping the rest. (auto_explain logs the plans of the
# statements the function runs.)
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use lib 'test/tap';
use Av3Test;

# Retention off for the server, so that worker 0 leaves the events alone; this session turns it on.
my $node = new_node('retention', q{
assignment_v3.event_retention = 0
autovacuum = off
});
$node->safe_psql('postgres', 'CREATE EXTENSION assignment_v3 CASCADE');
# Old events lie 15 to 14.2 days back, the kept ones 13 days back to now: any cutoff of 14 days
# taken while the test runs falls between them.
$node->safe_psql('postgres', q{
    INSERT INTO assignment_v3.observability_events (created_at, source, event_type, booking_id, restaurant_id, context)
    SELECT CASE WHEN (g / 4) % 20 = 0 THEN now() - interval '15 days' + random() * interval '19 hours'
                ELSE now() - random() * interval '13 days' END,
           (ARRAY['assignment.coordinator', 'assignment.state_machine', 'auto_assign', 'billing.sync'])[1 + g % 4],
           (ARRAY['coordinator.confirmed', 'booking.assignment_state_transition', 'auto_assign.summary', 'sync.done'])[1 + g % 4],
           gen_random_uuid(), NULL, jsonb_build_object('n', g, 'latency_ms', 1 + g % 400)
    FROM generate_series(1, 200000) g ORDER BY random();
    ANALYZE assignment_v3.observability_events, assignment_v3_internal.event_rollup,
            assignment_v3_internal.latency_rollup;
});
my $old = q{created_at < now() - interval '14 days'};
my $by_source = qq{SELECT string_agg(source || ':' || n, ',' ORDER BY source) FROM (
    SELECT source, count(*) AS n FROM assignment_v3.observability_events WHERE %s GROUP BY source) s};
is($node->safe_psql('postgres', sprintf($by_source, $old)),
    'assignment.coordinator:2500,assignment.state_machine:2500,auto_assign:2500,billing.sync:2500',
    'the load holds old events of four sources');
my $kept_before = $node->safe_psql('postgres', sprintf($by_source, "NOT ($old)"));
my $old_rollups = q{SELECT count(*) FROM assignment_v3_internal.%s
    WHERE bucket < date_trunc(CASE width WHEN 1 THEN 'minute' ELSE 'hour' END, now() - interval '14 days')};
ok($node->safe_psql('postgres', sprintf($old_rollups, $_)) > 0, "and $_ rows of them") for qw(event_rollup latency_rollup);

my $log_offset = -s $node->logfile;
# Passes of 1,000 events until one finds fewer (that pass deletes the old rollups too); each
# pass's count is what the worker goes by (a full batch: go on at once).
my $passes = $node->safe_psql('postgres', q{
    LOAD 'auto_explain';
    SET auto_explain.log_min_duration = 0;
    SET auto_explain.log_nested_statements = on;
    SET assignment_v3.event_retention = '14d';
    CREATE TEMP TABLE passes (pass serial, deleted bigint);
    DO $$
    DECLARE n bigint;
    BEGIN
        LOOP
            n := assignment_v3.purge_old_events(1000);
            INSERT INTO passes (deleted) VALUES (n);
            EXIT WHEN n < 1000;
        END LOOP;
    END $$;
    SELECT string_agg(deleted::text, ',' ORDER BY pass) FROM passes;
});
is($passes, join(',', (1000) x 10, 0), 'ten passes deleted a full batch each, the eleventh none');
is($node->safe_psql('postgres', sprintf($by_source, $old)), '', 'no old event of any source is left');
is($node->safe_psql('postgres', sprintf($by_source, "NOT ($old)")), $kept_before, 'every other event is kept');
is($node->safe_psql('postgres', sprintf($old_rollups, $_)), '0', "no $_ row older than the cutoff is left")
    for qw(event_rollup latency_rollup);
is($node->safe_psql('postgres', q{SELECT (SELECT sum(events) FROM assignment_v3_internal.event_rollup WHERE width = 60)
    = (SELECT count(*) FROM assignment_v3.observability_events)}), 't',
    'the hourly rollups left count exactly the events left');

my @plans = split /LOG:  duration: [0-9.]+ ms  plan:/, slurp_file($node->logfile, $log_offset);
my (@events, @rollups);
for my $plan (@plans) {
    my ($query) = $plan =~ /Query Text: ([^\n]*)/ or next;
    push @events, $plan if $query =~ /^DELETE FROM assignment_v3.observability_events/;
    push @rollups, $plan if $query =~ /DELETE FROM assignment_v3_internal.event_rollup/;
}
ok(@events >= 10, 'the passes deleted events (' . scalar(@events) . ' plans)');
is(scalar(@rollups), 1, 'the last pass deleted the rollups');
my @unindexed = grep {
    !/Index Cond: \(\(source = s(?:_\d+)?\.source\) AND \(created_at < / || !/Tid Scan on observability_events/
        || /Seq Scan on observability_events|created_at_brin/
} @events;
is(scalar(@unindexed), 0, 'every pass found the old events through the (source, created_at) index, '
    . 'deleted them by ctid, and scanned no table whole')
    or diag(substr($unindexed[0], 0, 3000));
# Each table's part of the plan: from its "Delete on" node to the next one.
for my $table (qw(event_rollup latency_rollup)) {
    my ($part) = ($rollups[0] // '') =~ /(Delete on $table\b.*?)(?:Delete on |\z)/s;
    $part //= '';
    like($part, qr/Index Cond: \(\(width = 1\) AND \(bucket < /, "$table: the minutes by index");
    like($part, qr/Index Cond: \(\(width = 60\) AND \(bucket < /, "$table: the hours by index");
    unlike($part, qr/Seq Scan on $table/, "$table: not scanned whole") or diag(substr($part, 0, 3000));
}

$node->stop('fast');
done_testing();
