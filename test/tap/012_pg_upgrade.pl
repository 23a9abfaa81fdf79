# pg_upgrade (here 15 to 15: the same steps as to a new major version). pg_upgrade starts both
# servers in binary-upgrade mode with the library preloaded: no launcher may run then (it would
# write to databases whose objects are being recreated). Afterwards the new cluster holds every
# row, and its workers start and serve.
use strict;
use warnings;
use Cwd;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use lib 'test/tap';
use Av3Test;

my $settings = q{
assignment_v3.max_parallel = 2
assignment_v3.enabled = on
assignment_v3.restaurant_rate_limit = 0
};
my $old = new_node('old', $settings);
$old->safe_psql('postgres', 'CREATE EXTENSION assignment_v3 CASCADE');
create_city($old, 'Upgrade');
$old->safe_psql('postgres', q{
    INSERT INTO assignment_v3.bookings (restaurant_id, party_size, start_at, end_at)
    SELECT r.id, 1 + g % 6, timestamptz '2031-10-01 19:00+00' + (g % 3) * interval '1 day',
           timestamptz '2031-10-01 21:00+00' + (g % 3) * interval '1 day'
    FROM assignment_v3.restaurants r, generate_series(1, 9) g});
ok($old->poll_query_until('postgres', q{SELECT count(*) FROM assignment_v3.bookings WHERE assignment_state = 'created'}, '0'),
    'the old cluster assigns');
my $before = table_digests($old, 'postgres');
$old->stop('fast');

my $new = PostgreSQL::Test::Cluster->new('new');
$new->init;
$new->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'assignment_v3'
max_worker_processes = 20
assignment_v3.database = 'postgres'
$settings
});

my ($bindir) = run_command(['pg_config', '--bindir']);
my @upgrade = ('pg_upgrade', '--no-sync', '--retain', '-d', $old->data_dir, '-D', $new->data_dir,
               '-b', $bindir, '-B', $bindir, '-s', $new->host, '-p', $old->port, '-P', $new->port);
my $cwd = getcwd();
chdir $new->basedir or die;  # pg_upgrade writes into the current directory too
command_ok([@upgrade, '--check'], 'pg_upgrade --check');
command_ok(\@upgrade, 'pg_upgrade');
chdir $cwd or die;

# Both servers ran in binary-upgrade mode with the library loaded, and no launcher ran.
my @server_logs = glob($new->data_dir . '/pg_upgrade_output.d/*/log/pg_upgrade_server.log');
ok(@server_logs > 0, 'pg_upgrade kept its server log');
my $server_log = join('', map { slurp_file($_) } @server_logs);
like($server_log, qr/database system is ready to accept connections/, 'the servers of pg_upgrade ran');
unlike($server_log, qr/assignment_v3 (launcher|worker)/, 'no launcher or worker ran in binary-upgrade mode');

$new->start;
is_deeply(table_digests($new, 'postgres'), $before, 'every row made it through pg_upgrade');
is($new->safe_psql('postgres', q{SELECT extversion FROM pg_extension WHERE extname = 'assignment_v3'}), '1.1',
    'the extension kept its version');
ok($new->poll_query_until('postgres', worker_count_sql(), '2'), 'the upgraded cluster runs its workers');
$new->safe_psql('postgres', q{
    INSERT INTO assignment_v3.bookings (restaurant_id, party_size, start_at, end_at)
    SELECT id, 2, '2031-10-05 19:00+00', '2031-10-05 21:00+00' FROM assignment_v3.restaurants});
ok($new->poll_query_until('postgres', q{SELECT count(*) FROM assignment_v3.bookings WHERE assignment_state = 'created'}, '0'),
    'and serves new bookings');
is($new->safe_psql('postgres', 'SELECT count(*) FROM assignment_v3.check_invariants()'), '0', 'invariants hold');

$new->stop('fast');
done_testing();
