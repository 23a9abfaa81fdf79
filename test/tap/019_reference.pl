# docs/reference.md is generated from the catalog (scripts/reference): generated again here
# from a fresh install, it must be identical, so the reference cannot drift from the code.
# And every function's example, as the reference prints it, runs.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use lib 'test/tap';
use Av3Test;

my $node = new_node('reference', '');
$node->safe_psql('postgres', 'CREATE EXTENSION assignment_v3 CASCADE');

my ($generated, $err) = ('', '');
IPC::Run::run(['psql', '-X', '-A', '-t', '-q', '-v', 'ON_ERROR_STOP=1', '-h', $node->host, '-p', $node->port,
               '-d', 'postgres', '-f', 'scripts/sql/reference.sql'], '>', \$generated, '2>', \$err)
    or BAIL_OUT("scripts/sql/reference.sql failed: $err");
my $committed = slurp_file('docs/reference.md');
if ($generated eq $committed) {
    pass('docs/reference.md is what the catalog says');
} else {
    my $dir = PostgreSQL::Test::Utils::tempdir();
    open(my $fh, '>', "$dir/reference.md") or die;
    print $fh $generated;
    close $fh;
    my ($diff) = PostgreSQL::Test::Utils::run_command(['diff', '-u', 'docs/reference.md', "$dir/reference.md"]);
    fail('docs/reference.md is what the catalog says');
    diag("run scripts/reference to update it:\n" . substr($diff, 0, 3000));
}

# The examples run, on a database with a restaurant and a booking in manual review.
$node->safe_psql('postgres', q{
    CREATE ROLE assignment_v3_worker LOGIN;
    INSERT INTO assignment_v3.restaurants (id, name) VALUES ('e0000000-0000-0000-0000-000000000001', 'Examples');
    INSERT INTO assignment_v3.restaurant_tables (id, restaurant_id, label, capacity) VALUES
        ('e0000000-0000-0000-0000-0000000000a1', 'e0000000-0000-0000-0000-000000000001', 'A', 4),
        ('e0000000-0000-0000-0000-0000000000a2', 'e0000000-0000-0000-0000-000000000001', 'B', 4);
    INSERT INTO assignment_v3.bookings (id, restaurant_id, party_size, start_at, end_at)
    VALUES ('e0000000-0000-0000-0000-0000000000b1', 'e0000000-0000-0000-0000-000000000001', 8,
            '2031-05-01 19:00+00', '2031-05-01 21:00+00');
    SELECT * FROM assignment_v3.process_pending();
});
is($node->safe_psql('postgres', q{SELECT assignment_state FROM assignment_v3.bookings}), 'manual_review',
   'the examples\' booking waits in manual review');
my @examples = $committed =~ /^Example:\n\n```sql\n(.*?)\n```$/mg;
my @functions = $committed =~ /^### (\w+)\(/mg;
is(scalar(@examples), scalar(grep { $_ ne 'Table' && $_ ne 'View' } @functions), 'every function has an example');
for my $example (@examples) {
    my ($out, $stderr) = ('', '');
    my $sql = "\\set booking_id e0000000-0000-0000-0000-0000000000b1\n"
            . "\\set restaurant_id e0000000-0000-0000-0000-000000000001\n"
            . "\\set table_a e0000000-0000-0000-0000-0000000000a1\n"
            . "\\set table_b e0000000-0000-0000-0000-0000000000a2\n"
            . "BEGIN;\n$example\nROLLBACK;\n";
    my $ok = IPC::Run::run(['psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-h', $node->host, '-p', $node->port,
                            '-d', 'postgres'], '<', \$sql, '>', \$out, '2>', \$stderr);
    ok($ok && $stderr eq '', "example runs: $example") or diag($stderr);
}

$node->stop('fast');
done_testing();
