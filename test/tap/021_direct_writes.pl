# The workers write their assignment rows directly (as COPY does), with the two foreign keys
# checked once per batch instead of by a trigger per row (src/pg/assignment_insert.hpp), and
# update the bookings without an UPDATE statement (src/pg/booking_update.hpp); both fall back
# to SQL wherever that would skip someone's rule: a trigger a DBA adds to table_assignments or
# to bookings, or a foreign key of their own. Whichever way the rows go in, the exclusion
# constraint, the invariants and the DBA's rules hold over traffic written in statements of
# many rows.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use lib 'test/tap';
use Av3Test;

my $node = new_node('direct_writes', q{
shared_preload_libraries = 'assignment_v3, pg_stat_statements'
pg_stat_statements.track = all
assignment_v3.max_parallel = 2
assignment_v3.enabled = on
assignment_v3.poll_interval = '50ms'
assignment_v3.restaurant_rate_limit = 0
assignment_v3.retry_backoff_base = '50ms'
assignment_v3.retry_backoff_max = '200ms'
assignment_v3.max_retries = 2
});
$node->safe_psql('postgres', 'CREATE EXTENSION assignment_v3 CASCADE');
$node->safe_psql('postgres', 'CREATE EXTENSION pg_stat_statements');
create_city($node, 'Seat');

my $queue = q{SELECT count(*) FROM assignment_v3.bookings WHERE status = 'pending' AND assignment_state IN ('created', 'retry_scheduled')};
sub traffic {
    my ($from, $n) = @_;
    $node->safe_psql('postgres', qq{
        INSERT INTO assignment_v3.bookings (restaurant_id, party_size, start_at, end_at)
        SELECT r.ids[1 + g % 30], 1 + g % 6,
               timestamptz '2031-11-01 19:00+00' + (g % 9) * interval '1 day' + (g % 3) * interval '1 hour',
               timestamptz '2031-11-01 21:00+00' + (g % 9) * interval '1 day' + (g % 3) * interval '1 hour'
        FROM (SELECT array_agg(id ORDER BY name) AS ids FROM assignment_v3.restaurants) r,
             generate_series($from, $from + $n - 1) g});
    ok($node->poll_query_until('postgres', $queue, '0'), "bookings $from.. are decided");
}
sub inserts_by_sql {
    return $node->safe_psql('postgres', q{SELECT coalesce(sum(calls), 0) FROM pg_stat_statements
        WHERE query LIKE 'INSERT INTO assignment_v3.table_assignments%'});
}
sub booking_updates_by_sql {
    return $node->safe_psql('postgres', q{SELECT coalesce(sum(calls), 0) FROM pg_stat_statements
        WHERE query LIKE 'UPDATE assignment_v3.bookings b SET%assignment_state = u.state%'});
}
sub confirmed { return $node->safe_psql('postgres', q{SELECT count(*) FROM assignment_v3.bookings WHERE assignment_state = 'confirmed'}) }
sub seated { return $node->safe_psql('postgres', 'SELECT count(*) FROM assignment_v3.table_assignments') }
sub integrity_holds {
    my ($when) = @_;
    is($node->safe_psql('postgres', 'SELECT count(*) FROM assignment_v3.check_invariants()'), '0',
       "$when: invariants hold");
    is($node->safe_psql('postgres', q{SELECT count(*) FROM assignment_v3.table_assignments a
        LEFT JOIN assignment_v3.restaurant_tables t ON t.id = a.table_id AND t.restaurant_id = a.restaurant_id
        LEFT JOIN assignment_v3.bookings b ON b.id = a.booking_id AND b.restaurant_id = a.restaurant_id
        WHERE t.id IS NULL OR b.id IS NULL OR b.assignment_state <> 'confirmed'}), '0',
       "$when: every seating is a confirmed booking's, at a table of its restaurant");
    is($node->safe_psql('postgres', q{SELECT count(*) FROM assignment_v3.table_assignments a
        JOIN assignment_v3.table_assignments b ON a.table_id = b.table_id AND a.booking_id < b.booking_id
         AND a.during && b.during}), '0', "$when: no table is double-booked");
}

traffic(1, 600);
ok(seated() > 400, 'the workers seat most of the traffic (' . seated() . ' seatings)');
is(inserts_by_sql(), '0', 'and write every seating without an INSERT statement');
is(booking_updates_by_sql(), '0', 'and every booking without an UPDATE statement');
ok($node->safe_psql('postgres', q{SELECT coalesce(sum(calls), 0) FROM pg_stat_statements
    WHERE query LIKE '%FROM ONLY assignment_v3.restaurant_tables t%FOR KEY SHARE%'}) > 0,
   'locking the tables each batch seats at, once per batch');
integrity_holds('written directly');
# The rollup rows that exist take a batch's counts without the upsert statement: every rollup
# row written (inserted or updated, as the table's statistics count them) beyond the rows that
# statement wrote was written directly.
ok($node->poll_query_until('postgres', q{
    SELECT (SELECT n_tup_ins + n_tup_upd FROM pg_stat_user_tables
            WHERE relid = 'assignment_v3_internal.event_rollup'::regclass)
         > (SELECT coalesce(sum(rows), 0) FROM pg_stat_statements
            WHERE query LIKE 'INSERT INTO assignment_v3_internal.event_rollup%')}, 't'),
   'rollup rows that exist are updated without the upsert statement');

# An operator's seating goes the same way.
$node->safe_psql('postgres', q{
    INSERT INTO assignment_v3.bookings (id, restaurant_id, party_size, start_at, end_at)
    SELECT 'c0000000-0000-0000-0000-000000000001', id, 40, '2031-12-25 19:00+00', '2031-12-25 21:00+00'
    FROM assignment_v3.restaurants WHERE name = 'Seat 10'});
ok($node->poll_query_until('postgres', q{SELECT assignment_state FROM assignment_v3.bookings
    WHERE id = 'c0000000-0000-0000-0000-000000000001'}, 'manual_review'), 'a party of 40 waits for an operator');
$node->safe_psql('postgres', q{
    SELECT assignment_v3.assign_manually(b.id, ARRAY(SELECT t.id FROM assignment_v3.restaurant_tables t
                                                    WHERE t.restaurant_id = b.restaurant_id ORDER BY t.label LIMIT 10))
    FROM assignment_v3.bookings b WHERE b.id = 'c0000000-0000-0000-0000-000000000001'});
is($node->safe_psql('postgres', q{SELECT count(*) FROM assignment_v3.table_assignments
    WHERE booking_id = 'c0000000-0000-0000-0000-000000000001' AND pipeline = 'manual'}), '10',
   'assign_manually() seats it at ten tables');
is(inserts_by_sql(), '0', 'written directly too');
is(booking_updates_by_sql(), '0', 'its booking too');

# A DBA's triggers on the assignments and on the bookings: they see every row the workers
# write from now on.
$node->safe_psql('postgres', q{
    CREATE TABLE seen_seatings (n bigint NOT NULL);
    CREATE TABLE seen_confirmations (n bigint NOT NULL);
    -- (Qualified names: the workers run with an empty search_path.)
    CREATE FUNCTION count_seatings() RETURNS trigger LANGUAGE plpgsql AS
        $$BEGIN INSERT INTO public.seen_seatings SELECT count(*) FROM new_rows; RETURN NULL; END$$;
    CREATE TRIGGER count_seatings AFTER INSERT ON assignment_v3.table_assignments
        REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION count_seatings();
    CREATE FUNCTION count_confirmations() RETURNS trigger LANGUAGE plpgsql AS
        $$BEGIN INSERT INTO public.seen_confirmations SELECT count(*) FROM new_rows n JOIN old_rows o USING (id)
                WHERE n.assignment_state = 'confirmed' AND o.assignment_state <> 'confirmed'; RETURN NULL; END$$;
    CREATE TRIGGER count_confirmations AFTER UPDATE ON assignment_v3.bookings
        REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION count_confirmations();
});
my $before = seated();
my $confirmed_before = confirmed();
traffic(1000, 300);
ok(seated() > $before + 100, 'more traffic is seated');
is($node->safe_psql('postgres', 'SELECT sum(n) FROM seen_seatings'), seated() - $before,
   'the DBA\'s trigger on the assignments saw every seating');
ok(inserts_by_sql() > 0, 'written by INSERT for that trigger');
is($node->safe_psql('postgres', 'SELECT sum(n) FROM seen_confirmations'), confirmed() - $confirmed_before,
   'the DBA\'s trigger on the bookings saw every confirmation');
ok(booking_updates_by_sql() > 0, 'written by UPDATE for that trigger');
integrity_holds('written by INSERT and UPDATE for triggers');

# A foreign key of the DBA's own (the pipelines they allow): the direct write cannot check it,
# so INSERT does, and refuses what it forbids.
$node->safe_psql('postgres', q{
    DROP TRIGGER count_seatings ON assignment_v3.table_assignments;
    DROP TRIGGER count_confirmations ON assignment_v3.bookings;
    CREATE TABLE public.allowed_pipelines (pipeline text PRIMARY KEY);
    INSERT INTO public.allowed_pipelines VALUES ('legacy'), ('manual');
    ALTER TABLE assignment_v3.table_assignments ADD CONSTRAINT seatings_by_allowed_pipelines
        FOREIGN KEY (pipeline) REFERENCES public.allowed_pipelines NOT VALID;
    SELECT pg_stat_statements_reset();
});
# Time for the check below between the refusal and the retry that follows it.
$node->safe_psql('postgres', $_) for (q{ALTER SYSTEM SET assignment_v3.retry_backoff_base = '1s'},
    q{ALTER SYSTEM SET assignment_v3.retry_backoff_max = '2s'}, q{ALTER SYSTEM SET assignment_v3.max_retries = 10},
    q{SELECT pg_reload_conf()});
$before = seated();
$node->safe_psql('postgres', q{
    INSERT INTO assignment_v3.bookings (id, restaurant_id, party_size, start_at, end_at)
    SELECT 'c0000000-0000-0000-0000-000000000002', id, 2, '2031-12-26 19:00+00', '2031-12-26 21:00+00'
    FROM assignment_v3.restaurants WHERE name = 'Seat 11'});
ok($node->poll_query_until('postgres', q{SELECT (SELECT count(*) FROM assignment_v3.observability_events
    WHERE booking_id = 'c0000000-0000-0000-0000-000000000002' AND event_type = 'coordinator.error'
      AND context->>'message' LIKE '%seatings_by_allowed_pipelines%') > 0}, 't'),
   'the V3 seating is refused by the DBA\'s foreign key');
is(seated(), $before, 'and not written');
$node->safe_psql('postgres', q{INSERT INTO public.allowed_pipelines VALUES ('v3')});
ok($node->poll_query_until('postgres', q{SELECT assignment_state FROM assignment_v3.bookings
    WHERE id = 'c0000000-0000-0000-0000-000000000002'}, 'confirmed'), 'allowed, the retry seats it');
# (A statement that failed is not in pg_stat_statements: the one that seated it is.)
ok(inserts_by_sql() > 0, 'by an INSERT, which checks the DBA\'s key');
integrity_holds('with a DBA\'s foreign key');

# What a backend has read of a restaurant's seatings it keeps between transactions
# (src/pg/schedule_cache.hpp), and a day it has not seen it reads with the rest of its week
# (Saturday to Friday: weeks from Postgres' epoch). A session in a database the workers do not
# serve decides its bookings itself, a transaction each; the schedule statement's calls are
# counted after each.
$node->safe_psql('postgres', 'CREATE DATABASE sessions');
$node->safe_psql('sessions', 'CREATE EXTENSION assignment_v3 CASCADE');
$node->safe_psql('sessions', 'CREATE EXTENSION pg_stat_statements');
my $session = $node->safe_psql('sessions', q{
    SET assignment_v3.restaurant_rate_limit = 0;
    INSERT INTO assignment_v3.restaurants (id, name) VALUES ('a0000000-0000-0000-0000-000000000001', 'Weekly');
    INSERT INTO assignment_v3.restaurant_tables (restaurant_id, label, capacity)
    SELECT 'a0000000-0000-0000-0000-000000000001', 'T' || g, 4 FROM generate_series(1, 4) g;
    CREATE FUNCTION pg_temp.decide(VARIADIC days timestamptz[]) RETURNS text LANGUAGE sql AS $$
        INSERT INTO assignment_v3.bookings (restaurant_id, party_size, start_at, end_at, next_attempt_at)
        SELECT 'a0000000-0000-0000-0000-000000000001', 2, d, d + interval '2 hours', '2000-01-01' FROM unnest(days) d;
        SELECT (SELECT count(*) FROM assignment_v3.process_pending() WHERE outcome = 'confirmed') || ' seated' $$;
    CREATE FUNCTION pg_temp.reads() RETURNS bigint LANGUAGE sql AS $$
        SELECT coalesce(sum(calls), 0) FROM pg_stat_statements
        WHERE query LIKE 'SELECT a.booking_id, a.table_id, pg_catalog.lower(a.during)%'
          AND dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) $$;
    SELECT pg_stat_statements_reset();
    SELECT pg_temp.decide('2031-03-07 19:00+00') || ', ' || pg_temp.reads() || ' read';
    SELECT pg_temp.decide('2031-03-03 19:00+00', '2031-03-05 20:00+00') || ', ' || pg_temp.reads() || ' read';
    SELECT pg_temp.decide('2031-03-14 19:00+00') || ', ' || pg_temp.reads() || ' read';
    DELETE FROM assignment_v3.table_assignments WHERE booking_id = '00000000-0000-0000-0000-000000000000';
    SELECT pg_temp.decide('2031-03-11 19:00+00') || ', ' || pg_temp.reads() || ' read';
    SELECT count(*) FROM assignment_v3.check_invariants();
});
$session =~ s/^\n+//;    # (the reset's empty result)
is($session, join("\n", '1 seated, 1 read', '2 seated, 1 read', '1 seated, 2 read', '1 seated, 3 read', '0'),
   'a session reads a week of seatings when it first needs a day of it, and no more for that week '
   . 'until someone else\'s statement over table_assignments makes it forget');

$node->stop('fast');
done_testing();
