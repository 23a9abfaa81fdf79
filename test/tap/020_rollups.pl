# The workers write their events directly (as COPY does) and count them into the rollups in
# C++; everyone else's events go through SQL and the rollup trigger (so do the workers', once
# someone adds a trigger of their own to the events table). Both must leave exactly the
# rollups a recount from the stored events gives (rebuild_event_rollups()), over traffic that
# produces every kind of event: V3 and legacy decisions, retries (rate limited, no table),
# manual reviews, shadow plans, modifications and cancellations by the application, operator
# functions. And a trigger someone adds to the events table still fires for every event: the
# direct path steps aside for it.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use lib 'test/tap';
use Av3Test;

my $node = new_node('rollups', q{
assignment_v3.max_parallel = 2
assignment_v3.enabled = on
assignment_v3.shadow = on
assignment_v3.poll_interval = '50ms'
assignment_v3.restaurant_rate_limit = 20
assignment_v3.restaurant_rate_burst = 10
assignment_v3.retry_backoff_base = '50ms'
assignment_v3.retry_backoff_max = '200ms'
assignment_v3.max_retries = 2
});
$node->safe_psql('postgres', 'CREATE EXTENSION assignment_v3 CASCADE');
# With the rollup trigger off, only the workers' own counting can keep the rollups: rollups equal
# to a recount then prove that every event was written directly and counted in C++.
$node->safe_psql('postgres', 'ALTER TABLE assignment_v3.observability_events DISABLE TRIGGER observability_events_roll_up');
# A DBA's own index on the events, partial and on an expression: the direct write makes its
# entries as INSERT would (checked below with amcheck, against the heap).
$node->safe_psql('postgres', q{
    CREATE EXTENSION amcheck;
    CREATE INDEX dba_retry_reasons ON assignment_v3.observability_events ((context->>'reason'), created_at)
        WHERE event_type LIKE 'coordinator.%'});
create_city($node, 'Count');
$node->safe_psql('postgres', q{
    INSERT INTO assignment_v3.restaurant_rollout
    SELECT id, CASE WHEN name = 'Count 01' THEN 'legacy' ELSE 'shadow' END FROM assignment_v3.restaurants
    WHERE name IN ('Count 01', 'Count 02')});

sub traffic {
    my ($from, $n) = @_;
    # Parties of 40 never fit; two bookings per slot on one table-poor evening make retries.
    $node->safe_psql('postgres', qq{
        INSERT INTO assignment_v3.bookings (restaurant_id, party_size, start_at, end_at)
        SELECT r.ids[1 + g % 30], CASE WHEN g % 17 = 0 THEN 40 ELSE 1 + g % 6 END,
               timestamptz '2031-11-01 19:00+00' + (g % 7) * interval '1 day',
               timestamptz '2031-11-01 21:00+00' + (g % 7) * interval '1 day'
        FROM (SELECT array_agg(id ORDER BY name) AS ids FROM assignment_v3.restaurants) r,
             generate_series($from, $from + $n - 1) g});
}
traffic(1, 900);
# The application modifies and cancels many at once; an operator seats one by hand.
$node->safe_psql('postgres', q{
    UPDATE assignment_v3.bookings SET party_size = party_size + 1
    WHERE id IN (SELECT id FROM assignment_v3.bookings ORDER BY id LIMIT 40);
    UPDATE assignment_v3.bookings SET status = 'cancelled'
    WHERE id IN (SELECT id FROM assignment_v3.bookings ORDER BY id DESC LIMIT 40);
});
my $queue = q{SELECT count(*) FROM assignment_v3.bookings WHERE status = 'pending' AND assignment_state IN ('created', 'retry_scheduled')};
ok($node->poll_query_until('postgres', $queue, '0'), 'the traffic is decided');
# An operator seats a party no combination fits, on an evening of its own.
$node->safe_psql('postgres', q{
    INSERT INTO assignment_v3.bookings (id, restaurant_id, party_size, start_at, end_at)
    SELECT 'c0000000-0000-0000-0000-000000000001', id, 40, '2031-12-25 19:00+00', '2031-12-25 21:00+00'
    FROM assignment_v3.restaurants WHERE name = 'Count 10'});
ok($node->poll_query_until('postgres', q{SELECT assignment_state FROM assignment_v3.bookings
    WHERE id = 'c0000000-0000-0000-0000-000000000001'}, 'manual_review'), 'the large party waits for an operator');
$node->safe_psql('postgres', q{
    SELECT assignment_v3.assign_manually(b.id, ARRAY(SELECT t.id FROM assignment_v3.restaurant_tables t
                                                    WHERE t.restaurant_id = b.restaurant_id ORDER BY t.label LIMIT 10))
    FROM assignment_v3.bookings b WHERE b.id = 'c0000000-0000-0000-0000-000000000001'});

my %kinds = map { split /\|/ } split /\n/, $node->safe_psql('postgres', q{
    SELECT event_type, count(*) FROM assignment_v3.observability_events GROUP BY 1});
for my $kind (qw(coordinator.start coordinator.confirmed coordinator.retry coordinator.manual_review
                 booking.assignment_state_transition auto_assign.summary coordinator.shadow_plan)) {
    ok(($kinds{$kind} // 0) > 0, "the traffic made $kind events ($kinds{$kind})");
}
ok($node->safe_psql('postgres', q{SELECT count(*) FROM assignment_v3.observability_events
    WHERE event_type = 'coordinator.retry' AND context->>'reason' = 'rate_limited'}) > 0, 'rate-limited retries among them');

# The rollups as the writers left them, against a recount from the events.
sub rollups_equal_a_recount {
    my ($when) = @_;
    my $rollups = q{
        SELECT width, bucket, source, event_type, reason, detail, restaurant_id, sum(events) AS events,
               round(sum(delay_ms_sum)::numeric, 3) AS delay_ms_sum, max(delay_ms_max) AS delay_ms_max,
               max(latency_ms_max) AS latency_ms_max
        FROM assignment_v3_internal.event_rollup GROUP BY 1, 2, 3, 4, 5, 6, 7};
    my $latency = q{
        SELECT width, bucket, pipeline, latency_bucket, sum(confirmations) AS confirmations
        FROM assignment_v3_internal.latency_rollup GROUP BY 1, 2, 3, 4};
    $node->safe_psql('postgres', qq{
        DROP TABLE IF EXISTS counted, counted_latency, recounted, recounted_latency;
        CREATE TABLE counted AS $rollups;
        CREATE TABLE counted_latency AS $latency;
        SELECT assignment_v3.rebuild_event_rollups(now() - interval '1 day', now() + interval '1 day');
        CREATE TABLE recounted AS $rollups;
        CREATE TABLE recounted_latency AS $latency;
    });
    ok($node->safe_psql('postgres', 'SELECT count(*) FROM counted') > 50, "$when: many rollup rows to compare");
    is($node->safe_psql('postgres', q{
        SELECT count(*) FROM ((TABLE counted EXCEPT TABLE recounted) UNION ALL (TABLE recounted EXCEPT TABLE counted)) d}),
       '0', "$when: the event rollups equal a recount from the stored events");
    is($node->safe_psql('postgres', q{
        SELECT count(*) FROM ((TABLE counted_latency EXCEPT TABLE recounted_latency)
                              UNION ALL (TABLE recounted_latency EXCEPT TABLE counted_latency)) d}),
       '0', "$when: the latency histogram equals a recount");
}
rollups_equal_a_recount('written directly, the rollup trigger off');

# Every index of the events holds exactly the entries of the rows written directly (the
# entries go in one index at a time: src/pg/direct_insert.cpp), the DBA's partial one too.
is($node->safe_psql('postgres', q{
    SELECT string_agg(b.relname, ', ' ORDER BY b.relname)
    FROM (SELECT c.oid, c.relname
          FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am a ON a.oid = c.relam
          WHERE i.indrelid = 'assignment_v3.observability_events'::regclass AND a.amname = 'btree'
          OFFSET 0) b,
         LATERAL (SELECT bt_index_check(b.oid, true)) checked}),
   'dba_retry_reasons, observability_events_booking_idx, observability_events_pkey, observability_events_source_created_at_idx',
   'every btree index of the events matches the heap (amcheck, heapallindexed)');
my $by_reason = q{SELECT count(*) FROM assignment_v3.observability_events
    WHERE event_type LIKE 'coordinator.%' AND context->>'reason' = 'rate_limited'};
my $through_index = $node->safe_psql('postgres', "SET enable_seqscan = off; SET enable_bitmapscan = off; $by_reason");
like($node->safe_psql('postgres', "SET enable_seqscan = off; SET enable_bitmapscan = off; EXPLAIN (COSTS OFF) $by_reason"),
     qr/dba_retry_reasons/, 'read through the DBA\'s index');
ok($through_index > 0, "the DBA's partial index finds rate-limited retries ($through_index)");
is($through_index, $node->safe_psql('postgres', "SET enable_indexscan = off; SET enable_bitmapscan = off; SET enable_indexonlyscan = off; $by_reason"),
   'as many as a scan of the table finds');

# Someone's own trigger on the events: it sees every event the workers write from now on, and
# the rollup trigger (on again) counts them.
$node->safe_psql('postgres', q{
    ALTER TABLE assignment_v3.observability_events ENABLE TRIGGER observability_events_roll_up;
    CREATE TABLE seen_events (n bigint NOT NULL);
    -- (Qualified names: the workers run with an empty search_path.)
    CREATE FUNCTION count_events() RETURNS trigger LANGUAGE plpgsql AS
        $$BEGIN INSERT INTO public.seen_events SELECT count(*) FROM new_rows; RETURN NULL; END$$;
    CREATE TRIGGER count_events AFTER INSERT ON assignment_v3.observability_events
        REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION count_events();
});
my $before = $node->safe_psql('postgres', 'SELECT count(*) FROM assignment_v3.observability_events');
my $last_direct = $node->safe_psql('postgres', 'SELECT max(id) FROM assignment_v3.observability_events');
traffic(2000, 100);
ok($node->poll_query_until('postgres', $queue, '0'), 'more traffic is decided');
is($node->safe_psql('postgres', 'SELECT sum(n) FROM seen_events'),
   $node->safe_psql('postgres', 'SELECT count(*) FROM assignment_v3.observability_events') - $before,
   'the added trigger saw every event');
rollups_equal_a_recount('written with SQL for the added trigger');

# The direct write builds each context's jsonb from its fields, SQL parses the same context's
# text: every key both wrote (by kind of event) has the same type, number scale and element type.
my $shapes = q{
    SELECT DISTINCT e.event_type, f.key, jsonb_typeof(f.value) AS type,
           CASE jsonb_typeof(f.value) WHEN 'number' THEN scale(f.value::text::numeric) END AS scale,
           CASE jsonb_typeof(f.value) WHEN 'array' THEN jsonb_typeof(f.value -> 0) END AS element
    FROM assignment_v3.observability_events e, jsonb_each(e.context) f WHERE };
$node->safe_psql('postgres', qq{
    CREATE TABLE direct_shapes AS $shapes e.id <= $last_direct;
    CREATE TABLE sql_shapes AS $shapes e.id > $last_direct});
my $both = q{FROM sql_shapes s WHERE EXISTS (SELECT FROM direct_shapes d WHERE (d.event_type, d.key) = (s.event_type, s.key))};
ok($node->safe_psql('postgres', "SELECT count(*) $both") > 20,
   'many keys of the events were written both directly and with SQL (' . $node->safe_psql('postgres', "SELECT count(*) $both") . ')');
is($node->safe_psql('postgres', qq{SELECT string_agg(format('%s %s %s %s %s', event_type, key, type, scale, element), '; ')
    $both AND NOT EXISTS (SELECT FROM direct_shapes d WHERE (d.event_type, d.key, d.type) = (s.event_type, s.key, s.type)
                            AND d.scale IS NOT DISTINCT FROM s.scale AND d.element IS NOT DISTINCT FROM s.element)}), '',
   'with the same types, number scales and element types');
# And each directly written context is stored exactly as jsonb_in stores its text: the same
# size on disk (numbers converted without their text are numerics of the same form) and text.
$node->safe_psql('postgres', qq{
    CREATE TABLE reparsed AS SELECT id, context, context::text::jsonb AS parsed
    FROM assignment_v3.observability_events WHERE id <= $last_direct});
is($node->safe_psql('postgres', q{
    SELECT count(*) FROM reparsed
    WHERE pg_column_size(context) <> pg_column_size(parsed) OR context::text <> parsed::text
       OR context <> parsed}), '0', 'stored as jsonb_in stores the same text');

# A DBA adds a column with a default (the direct write does not fill it: SQL does), then drops it
# (a dropped column shifts nothing the direct write fills by position: SQL again).
$node->safe_psql('postgres', q{
    DROP TRIGGER count_events ON assignment_v3.observability_events;
    ALTER TABLE assignment_v3.observability_events ADD COLUMN noted_by text NOT NULL DEFAULT 'dba';
});
$before = $node->safe_psql('postgres', 'SELECT max(id) FROM assignment_v3.observability_events');
traffic(3000, 60);
ok($node->poll_query_until('postgres', $queue, '0'), 'traffic is decided with a column added to the events');
ok($node->safe_psql('postgres', qq{SELECT count(*) FROM assignment_v3.observability_events WHERE id > $before}) >= 60,
   'its events are written');
is($node->safe_psql('postgres', qq{SELECT string_agg(DISTINCT noted_by, ',') FROM assignment_v3.observability_events
    WHERE id > $before}), 'dba', 'with the added column\'s default');
$node->safe_psql('postgres', 'ALTER TABLE assignment_v3.observability_events DROP COLUMN noted_by');
$before = $node->safe_psql('postgres', 'SELECT max(id) FROM assignment_v3.observability_events');
traffic(4000, 60);
ok($node->poll_query_until('postgres', $queue, '0'), 'traffic is decided after the column is dropped');
is($node->safe_psql('postgres', qq{SELECT count(*) FROM assignment_v3.observability_events
    WHERE id > $before AND event_type = 'coordinator.start' AND booking_id IS NOT NULL AND context ? 'attempt'}),
   $node->safe_psql('postgres', qq{SELECT count(*) FROM assignment_v3.observability_events
    WHERE id > $before AND event_type = 'coordinator.start'}), 'its events are whole');
rollups_equal_a_recount('written with SQL around a DBA\'s column');
is($node->safe_psql('postgres', 'SELECT count(*) FROM assignment_v3.check_invariants()'), '0', 'invariants hold');

$node->stop('fast');
done_testing();
