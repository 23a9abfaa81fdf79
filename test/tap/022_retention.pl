# Retention on a table loaded out of time order (a migration, a bulk load): the events' BRIN
# index on created_at then matches every page range, and a delete that found the old events
# through it read the whole table on every pass (2.5 s over 10 million events, once a minute).
# Here 200,000 events are loaded in random order, a few old ones among them; every pass of
# purge_old_events() must find the old events through the (source, created_at) index, and the
# old rollups through their (width, bucket) index; and retention must delete exactly the old
# events of every source, its own and an application's, and the rollups older than the cutoff,
# keeping the rest. (auto_explain logs the plans of the statements the function runs.)
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
           (ARRAY['coordinator.start', 'booking.assignment_state_transition', 'auto_assign.summary', 'sync.done'])[1 + g % 4],
           gen_random_uuid(), NULL, jsonb_build_object('n', g)
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
my $old_rollups = q{SELECT count(*) FROM assignment_v3_internal.event_rollup
    WHERE bucket < date_trunc(CASE width WHEN 1 THEN 'minute' ELSE 'hour' END, now() - interval '14 days')};
ok($node->safe_psql('postgres', $old_rollups) > 0, 'and rollups of them');

my $log_offset = -s $node->logfile;
# Passes of 1,000 events until one finds fewer (that pass deletes the old rollups too).
my $deleted = $node->safe_psql('postgres', q{
    LOAD 'auto_explain';
    SET auto_explain.log_min_duration = 0;
    SET auto_explain.log_nested_statements = on;
    SET assignment_v3.event_retention = '14d';
    DO $$
    DECLARE n bigint; total bigint := 0;
    BEGIN
        LOOP
            n := assignment_v3.purge_old_events(1000);
            total := total + n;
            EXIT WHEN n < 1000;
        END LOOP;
        RAISE NOTICE 'deleted %', total;
    END $$;
    SELECT 'done';
});
is($deleted, 'done', 'purge_old_events() ran until a pass found fewer than its batch');
is($node->safe_psql('postgres', sprintf($by_source, $old)), '', 'no old event of any source is left');
is($node->safe_psql('postgres', sprintf($by_source, "NOT ($old)")), $kept_before, 'every other event is kept');
is($node->safe_psql('postgres', $old_rollups), '0', 'no rollup older than the cutoff is left');
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
    !/Index Cond: \(\(source = s\.source\) AND \(created_at < / || /Seq Scan on observability_events e\b|created_at_brin/
} @events;
is(scalar(@unindexed), 0, 'every pass found the old events through the (source, created_at) index')
    or diag(substr($unindexed[0], 0, 3000));
like($rollups[0] // '', qr/Index Cond: \(\(width = 1\) AND \(bucket < /, 'the minute rollups by their index');
like($rollups[0] // '', qr/Index Cond: \(\(width = 60\) AND \(bucket < /, 'the hourly rollups by their index');
unlike($rollups[0] // '', qr/Seq Scan on event_rollup/, 'the rollups are not scanned whole')
    or diag(substr($rollups[0] // '', 0, 3000));

$node->stop('fast');
done_testing();
