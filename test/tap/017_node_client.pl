# An application in node-postgres hears the extension's decisions by LISTEN, without polling:
# examples/node/test/decisions.test.js (node's own test runner) against a node with V3 enabled,
# covering every path that decides (V3 workers, legacy planner, operator functions,
# process_pending, the re-seating after a table change), bookings inserted many per statement,
# the fallback read when no notification comes, and assignment_v3.notify = off.
# scripts/test installs Node and the example's packages (npm ci) before the TAP suite.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use lib 'test/tap';
use Av3Test;

my $node = new_node('node_client', q{
assignment_v3.max_parallel = 2
assignment_v3.enabled = on
assignment_v3.poll_interval = '50ms'
});
$node->safe_psql('postgres', 'CREATE EXTENSION assignment_v3 CASCADE');

ok(-d 'examples/node/node_modules/pg', 'the example\'s packages are installed')
    or BAIL_OUT('run npm ci in examples/node (scripts/test does)');
my ($out, $err) = ('', '');
local $ENV{PGHOST} = $node->host;
local $ENV{PGPORT} = $node->port;
local $ENV{PGDATABASE} = 'postgres';
local $ENV{PGUSER} = scalar getpwuid($<);
my $ok = IPC::Run::run(['node', '--test', '--test-reporter=tap', 'examples/node/test/decisions.test.js'],
    '>', \$out, '2>', \$err, IPC::Run::timeout(300));
ok($ok, 'the node-postgres client heard every decision') or diag("$out\n$err");
my ($pass) = $out =~ /^# pass (\d+)/m;
my ($fail) = $out =~ /^# fail (\d+)/m;
is($fail, 0, 'no case failed');
cmp_ok($pass // 0, '>=', 9, 'all nine cases ran');
is($node->safe_psql('postgres', 'SELECT count(*) FROM assignment_v3.check_invariants()'), '0', 'invariants hold');

$node->stop('fast');
done_testing();
