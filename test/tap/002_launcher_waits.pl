# The launcher with assignment_v3.database naming a database that does not exist: it says so
# once and waits (no crash loop, same process), and serves the database once it is created
# and the extension installed there.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('waits');
$node->init;
$node->append_conf('postgresql.conf', q{
shared_preload_libraries = 'assignment_v3'
max_worker_processes = 16
assignment_v3.database = 'bookings_app'
assignment_v3.max_parallel = 2
});
$node->start;

my $launcher_pid = q{SELECT pid FROM pg_stat_activity WHERE backend_type = 'assignment_v3 launcher'};
$node->wait_for_log(qr/database "bookings_app" does not exist; waiting for it/);
my $pid = $node->safe_psql('postgres', $launcher_pid);
ok($pid > 0, 'launcher runs');
# Two of its check intervals later it is the same process, and it said so only once.
sleep 11;
is($node->safe_psql('postgres', $launcher_pid), $pid, 'the launcher did not restart (no crash loop)');
my @lines = (slurp_file($node->logfile) =~ /does not exist; waiting for it/g);
is(scalar @lines, 1, 'one log line while waiting');

# CREATE EXTENSION elsewhere does not start workers: they serve bookings_app only.
$node->safe_psql('postgres', 'CREATE EXTENSION assignment_v3 CASCADE');
is($node->safe_psql('postgres', 'SELECT state FROM assignment_v3.launcher()'), 'waiting for database',
    'launcher() reports the wait');

$node->safe_psql('postgres', 'CREATE DATABASE bookings_app');
$node->wait_for_log(qr/waiting for CREATE EXTENSION assignment_v3 in database "bookings_app"/);
$node->safe_psql('bookings_app', 'CREATE EXTENSION assignment_v3 CASCADE');
ok($node->poll_query_until('postgres',
        q{SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'assignment_v3 worker' AND datname = 'bookings_app'},
        '2'),
    'workers serve the database once the extension exists there');
is($node->safe_psql('postgres', $launcher_pid), $pid, 'still the same launcher');

$node->stop('fast');
done_testing();
