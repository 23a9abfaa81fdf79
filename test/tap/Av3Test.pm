# Helpers shared by the TAP tests: a node with the extension preloaded, and the checks every
# load test ends with.
package Av3Test;

use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use Test::More;
use Exporter 'import';

our @EXPORT = qw(new_node worker_count_sql create_city check_outcome_events extension_catalog table_digests
                 business_tables book_each_restaurant);

# SQL counting the coordinator workers running.
sub worker_count_sql {
    return q{SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'assignment_v3 worker'};
}

# A started node with the library preloaded and the workers serving database "postgres";
# $conf is appended to postgresql.conf, %init goes to Cluster->init (allows_streaming => 1, ...).
sub new_node {
    my ($name, $conf, %init) = @_;
    my $node = PostgreSQL::Test::Cluster->new($name);
    $node->init(%init);
    $node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'assignment_v3'
max_worker_processes = 20
assignment_v3.database = 'postgres'
$conf
});
    $node->start;
    return $node;
}

# The load tests' city: 30 restaurants named "$prefix 01".."$prefix 30", each with 20 tables
# of 2 to 8 seats in two zones, rows of adjacent tables for combinations.
sub create_city {
    my ($node, $prefix) = @_;
    $node->safe_psql('postgres', qq{
    INSERT INTO assignment_v3.restaurants (name, turn_buffer)
    SELECT '$prefix ' || lpad(r::text, 2, '0'), interval '10 minutes' FROM generate_series(1, 30) r;
    INSERT INTO assignment_v3.restaurant_tables (restaurant_id, label, capacity, zone)
    SELECT r.id, 'T' || t, (ARRAY[2, 2, 4, 4, 6, 8])[1 + t % 6], CASE WHEN t <= 10 THEN 'main' ELSE 'patio' END
    FROM assignment_v3.restaurants r, generate_series(1, 20) t;
    INSERT INTO assignment_v3.table_adjacency
    SELECT a.restaurant_id, a.id, b.id FROM assignment_v3.restaurant_tables a
    JOIN assignment_v3.restaurant_tables b ON b.restaurant_id = a.restaurant_id AND b.zone = a.zone
     AND substr(b.label, 2)::int = substr(a.label, 2)::int + 1;
});
    return;
}

# Inserts $n bookings at every restaurant, in one statement, for the two hours from 19:00 on
# $first_day (a date) plus $day days; parties of 1 to 6 unless $party (an SQL expression of g,
# the booking's number) says otherwise.
sub book_each_restaurant {
    my ($node, $first_day, $day, $n, $party) = @_;
    $party //= '1 + g % 6';
    $node->safe_psql('postgres', qq{
        INSERT INTO assignment_v3.bookings (restaurant_id, party_size, start_at, end_at)
        SELECT r.id, $party, timestamptz '$first_day 19:00+00' + $day * interval '1 day',
               timestamptz '$first_day 21:00+00' + $day * interval '1 day'
        FROM assignment_v3.restaurants r, generate_series(1, $n) g});
    return;
}

# Every committed invocation has exactly one outcome event, and every confirmed booking the
# event of its confirmation.
sub check_outcome_events {
    my ($node) = @_;
    is($node->safe_psql('postgres', q{
        SELECT count(*) FROM (
            SELECT booking_id,
                   count(*) FILTER (WHERE event_type = 'coordinator.start') AS starts,
                   count(*) FILTER (WHERE event_type IN ('coordinator.confirmed', 'coordinator.retry',
                       'coordinator.manual_review', 'coordinator.noop', 'coordinator.error')) AS outcomes
            FROM assignment_v3.observability_events WHERE source = 'assignment.coordinator'
            GROUP BY booking_id) s
        WHERE starts <> outcomes}), '0', 'exactly one outcome event per committed invocation');
    is($node->safe_psql('postgres', q{
        SELECT count(*) FROM assignment_v3.bookings b WHERE b.assignment_state = 'confirmed'
          AND NOT EXISTS (SELECT 1 FROM assignment_v3.observability_events e
                          WHERE e.booking_id = b.id AND e.event_type = 'coordinator.confirmed')}), '0',
        'every confirmation was recorded with its event');
}

# The extension's catalog in a database, as text that two databases can be compared by:
# pg_dump --schema-only --binary-upgrade lists every member object of an extension (a plain
# schema dump lists only CREATE EXTENSION), with its ACL and comment, in a stable order. What
# differs between two equal schemas is taken out: object ids, transaction ids, sequence values.
sub extension_catalog {
    my ($node, $db) = @_;
    my ($dump, $err) = PostgreSQL::Test::Utils::run_command(
        ['pg_dump', '--schema-only', '--binary-upgrade', '-h', $node->host, '-p', $node->port, $db]);
    die "pg_dump of $db failed: $err" if $dump eq '';
    my @lines = grep {
        !/^\\(un)?restrict|binary_upgrade_set_next_|^-- For binary upgrade, (must preserve|set (heap|toast))|^-- Dumped (from|by)/
          && !/^SET relfrozenxid|^WHERE oid = |^UPDATE pg_catalog.pg_class$|pg_catalog.setval/
    } split /\n/, $dump;
    s/(binary_upgrade_create_empty_extension\('assignment_v3', 'pg_catalog', false, '[^']*', )'\{[0-9,]*\}'/$1'{oids}'/
      for @lines;
    push @lines, 'extconfig: ' . $node->safe_psql($db, q{
        SELECT string_agg(c::regclass::text || ' ' || coalesce(nullif(e.extcondition[i], ''), 'all rows'), ', '
                          ORDER BY c::regclass::text)
        FROM pg_extension e, unnest(e.extconfig) WITH ORDINALITY AS u(c, i) WHERE e.extname = 'assignment_v3'});
    return join("\n", @lines) . "\n";
}

# The tables whose rows are business data (what a backup must keep).
sub business_tables {
    return qw(restaurants restaurant_tables table_adjacency bookings table_assignments
              observability_events shadow_plans restaurant_rollout);
}

# Per business table: the row count and an md5 of all rows in a fixed order, as "n md5".
sub table_digests {
    my ($node, $db) = @_;
    my %digest;
    for my $t (business_tables()) {
        $digest{$t} = $node->safe_psql($db, qq{
            SELECT count(*) || ' ' || coalesce(md5(string_agg(r::text, '|' ORDER BY r::text)), '-')
            FROM assignment_v3.$t r});
    }
    return \%digest;
}

1;
