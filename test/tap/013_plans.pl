# Plans that follow the queue. The workers start on empty tables and run many batches there
# (a kept statement's plan would by then be generic, made for empty tables); 30,000 bookings
# are then loaded in one statement, with autovacuum off so that no ANALYZE comes to the rescue.
# The workers read the queue without statements (the oldest due through bookings_due_idx, the
# claim by primary key: src/pg/queue_scan.hpp), so no plan of theirs can scan it; the schedules
# are read by a statement, by restaurant and time, and bound their index scan by the days they
# ask for: a plan that reads all of a restaurant's seatings and filters them (which made a long
# history cost, docs/BENCHMARKS.md) is refused too, before any history exists to make it slow.
# Then row security on bookings sends the queue's reads back to their statements (as any
# table the direct reads cannot read as a statement would), and a second load checks their
# plans: the oldest due on a partial index of the queue, the claim by primary key; none scans
# the table. Last, a DBA's own index named bookings_due_idx, holding other rows, sends the
# oldest-due read back to its statement, and so does one with the extension's definition that
# a failed concurrent build left invalid. (auto_explain logs each plan the workers execute.)
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use lib 'test/tap';
use Av3Test;

my $node = new_node('plans', q{
shared_preload_libraries = 'assignment_v3, auto_explain'
autovacuum = off
auto_explain.log_min_duration = 0
auto_explain.log_nested_statements = on
assignment_v3.max_parallel = 2
assignment_v3.enabled = on
assignment_v3.restaurant_rate_limit = 0
assignment_v3.poll_interval = '20ms'
assignment_v3.event_retention = 0
});
$node->safe_psql('postgres', 'CREATE EXTENSION assignment_v3 CASCADE');
create_city($node, 'Plans');
ok($node->poll_query_until('postgres', q{SELECT sum(batches) >= 40 FROM assignment_v3.workers}),
    'the workers ran dozens of batches on the empty queue');

# Loads 30,000 bookings in one statement, waits for the workers to drain them and returns the
# plans they executed meanwhile, by kind of statement.
my $load = 0;
sub load_and_drain {
    my $log_offset = -s $node->logfile;
    my $first = 1 + 30000 * $load++;
    $node->safe_psql('postgres', qq{
        INSERT INTO assignment_v3.bookings (restaurant_id, party_size, start_at, end_at)
        SELECT r.ids[1 + g % 30], 1 + g % 6,
               timestamptz '2031-11-01 19:00+00' + (g % 120) * interval '1 day',
               timestamptz '2031-11-01 21:00+00' + (g % 120) * interval '1 day'
        FROM (SELECT array_agg(id ORDER BY name) AS ids FROM assignment_v3.restaurants) r,
             generate_series($first, $first + 29999) g});
    ok($node->poll_query_until('postgres',
            q{SELECT count(*) FROM assignment_v3.bookings WHERE assignment_state = 'created' AND next_attempt_at <= now()}, '0'),
        "the workers drained load $load");
    my %plans = (claim => [], due => [], schedule => []);
    for my $plan (split /LOG:  duration: [0-9.]+ ms  plan:/, slurp_file($node->logfile, $log_offset)) {
        my ($query) = $plan =~ /Query Text: ([^\n]*)/ or next;
        my $kind = $query =~ /FOR UPDATE SKIP LOCKED/ ? 'claim'
                 : $query =~ /ORDER BY next_attempt_at LIMIT/ ? 'due'
                 : $query =~ /FROM assignment_v3.table_assignments a\s+WHERE a.restaurant_id/ ? 'schedule'
                 : next;
        push @{ $plans{$kind} }, $plan;
    }
    return %plans;
}

# Plans of `kind` that do not read through `index` (or scan the table).
sub off_index {
    my ($plans, $index) = @_;
    return grep { /Seq Scan/ || !/$index/ } @$plans;
}

my %plans = load_and_drain();
is(scalar(@{ $plans{$_} }), 0, "the workers read the queue without the $_ statement")
    for qw(due claim);
ok(@{ $plans{schedule} } > 10,
    'the workers ran the schedule statement (' . scalar(@{ $plans{schedule} }) . ' plans after the load)');
my @bad = off_index($plans{schedule}, 'table_assignments_restaurant_start_idx');
is(scalar(@bad), 0, 'every schedule read goes through its index, none scans the table')
    or diag(substr($bad[0], 0, 2000));
my @unbounded = grep { !/Index Cond: [^\n]*lower\(during\) >= d\.lo/ } @{ $plans{schedule} };
is(scalar(@unbounded), 0, 'every schedule read scans only the days it asks for')
    or diag(substr($unbounded[0], 0, 2000));

# Row security on the queue: a direct read could not apply its policies, so the workers read
# the queue by statement (they bypass the policy as superuser: the rows are the same).
$node->safe_psql('postgres', q{
    ALTER TABLE assignment_v3.bookings ENABLE ROW LEVEL SECURITY;
    CREATE POLICY everyone ON assignment_v3.bookings USING (true)});
%plans = load_and_drain();
for my $kind (qw(due claim)) {
    ok(@{ $plans{$kind} } > 10,
        "with row security, the workers ran the $kind statement (" . scalar(@{ $plans{$kind} }) . ' plans)');
}
# The oldest-due query may read either of the queue's partial indexes (both hold exactly the
# runnable bookings); the planner picks by cost.
@bad = (off_index($plans{due}, 'bookings_due_idx|bookings_runnable_idx'),
        off_index($plans{claim}, 'bookings_pkey'));
is(scalar(@bad), 0, 'every one of them reads through its index, none scans the table')
    or diag(substr($bad[0], 0, 2000));
# A DBA's own bookings_due_idx, holding fewer rows (only bookings never tried): the worker's
# direct read would miss the retries the statement finds through another index, so the oldest
# due bookings are read by statement again; the claim by primary key stays direct.
$node->safe_psql('postgres', q{
    ALTER TABLE assignment_v3.bookings DISABLE ROW LEVEL SECURITY;
    DROP INDEX assignment_v3.bookings_due_idx;
    CREATE INDEX bookings_due_idx ON assignment_v3.bookings (next_attempt_at)
        WHERE status = 'pending' AND assignment_state = 'created'});
%plans = load_and_drain();
ok(@{ $plans{due} } > 10,
    'with a DBA\'s bookings_due_idx, the workers read the oldest due by statement ('
    . scalar(@{ $plans{due} }) . ' plans)');
is(scalar(@{ $plans{claim} }), 0, 'and still claim without the statement');
@bad = off_index($plans{due}, 'bookings_due_idx|bookings_runnable_idx');
is(scalar(@bad), 0, 'the oldest-due statement reads through an index')
    or diag(substr($bad[0], 0, 2000));

# An index by that name with the extension's definition that is not valid: a unique one built
# concurrently that failed (two bookings due at the same instant), left empty. The planner
# passes over it; so must the workers (a read through it would find nothing, or fail).
$node->safe_psql('postgres', q{
    DROP INDEX assignment_v3.bookings_due_idx;
    INSERT INTO assignment_v3.bookings (restaurant_id, party_size, start_at, end_at, next_attempt_at)
    SELECT id, 2, timestamptz '2099-12-31 19:00+00', timestamptz '2099-12-31 21:00+00',
           timestamptz '2099-01-01 00:00+00'
    FROM assignment_v3.restaurants ORDER BY name LIMIT 2});
my ($rc, $out, $err) = $node->psql('postgres', q{
    CREATE UNIQUE INDEX CONCURRENTLY bookings_due_idx ON assignment_v3.bookings (next_attempt_at)
        WHERE status = 'pending' AND assignment_state IN ('created', 'retry_scheduled')});
like($err, qr/could not create unique index/, 'a concurrent build of bookings_due_idx failed');
is($node->safe_psql('postgres', q{SELECT indisvalid FROM pg_index
    WHERE indexrelid = 'assignment_v3.bookings_due_idx'::regclass}), 'f', 'and left the index invalid');
%plans = load_and_drain();
ok(@{ $plans{due} } > 10,
    'with an invalid bookings_due_idx, the workers read the oldest due by statement ('
    . scalar(@{ $plans{due} }) . ' plans)');

is($node->safe_psql('postgres', q{SELECT count(*) FROM pg_settings
    WHERE name = 'enable_seqscan' AND setting = 'off'}), '0', 'with the planner\'s settings as they are');
is($node->safe_psql('postgres', 'SELECT count(*) FROM assignment_v3.check_invariants()'), '0', 'invariants hold');

$node->stop('fast');
done_testing();
