# Monitoring with the tools people run: Debian's prometheus-postgres-exporter, started with
# monitoring/queries.yaml as a pg_monitor role against a node with traffic, is scraped; what it
# exposes must equal what the extension's SQL functions say, and follow a change (workers
# paused). promtool checks and unit-tests the alerting rules, and every metric the rules and
# the Grafana dashboard use is one the exporter really exposes.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use HTTP::Tiny;
use JSON::PP;
use Time::HiRes qw(usleep);
use lib 'test/tap';
use Av3Test;

my $node = new_node('monitoring', q{
assignment_v3.max_parallel = 2
assignment_v3.enabled = on
assignment_v3.poll_interval = '50ms'
assignment_v3.restaurant_rate_limit = 0
});
$node->safe_psql('postgres', q{
    CREATE EXTENSION assignment_v3 CASCADE;
    CREATE ROLE av3_prometheus LOGIN IN ROLE pg_monitor;
});
create_city($node, 'Metrics');
# Traffic: most bookings fit, parties of 40 never do (manual review).
$node->safe_psql('postgres', q{
    INSERT INTO assignment_v3.bookings (restaurant_id, party_size, start_at, end_at)
    SELECT r.ids[1 + g % 30], CASE WHEN g % 10 = 0 THEN 40 ELSE 1 + g % 6 END,
           timestamptz '2031-11-01 19:00+00' + (g % 90) * interval '1 day',
           timestamptz '2031-11-01 21:00+00' + (g % 90) * interval '1 day'
    FROM (SELECT array_agg(id ORDER BY name) AS ids FROM assignment_v3.restaurants) r,
         generate_series(1, 600) g});
ok($node->poll_query_until('postgres', q{SELECT queue_depth FROM assignment_v3.status()}, '0'),
    'the workers drained the traffic');

# --- The exporter --------------------------------------------------------------------------
my $port = PostgreSQL::Test::Cluster::get_free_port();
my ($exp_out, $exp_err) = ('', '');
my $exporter = IPC::Run::start(
    ['prometheus-postgres-exporter', '--extend.query-path=monitoring/queries.yaml',
     "--web.listen-address=127.0.0.1:$port", '--log.level=warn'],
    '>', \$exp_out, '2>', \$exp_err,
    init => sub {
        $ENV{DATA_SOURCE_NAME} = 'host=' . $node->host . ' port=' . $node->port
            . ' dbname=postgres user=av3_prometheus sslmode=disable';
    });
my $http = HTTP::Tiny->new(timeout => 10);

# Scrapes /metrics until it has the assignment_v3 metrics (bounded); returns name{labels} => value.
sub scrape {
    my $deadline = time + $PostgreSQL::Test::Utils::timeout_default;
    while (time < $deadline) {
        my $response = $http->get("http://127.0.0.1:$port/metrics");
        if ($response->{success} && $response->{content} =~ /^assignment_v3_serving/m) {
            my %metrics;
            for my $line (split /\n/, $response->{content}) {
                next unless $line =~ /^(assignment_v3\w*)(\{[^}]*\})?\s+(\S+)$/;
                my ($name, $labels, $value) = ($1, $2 // '', $3);
                # The exporter's own label, whose value is the connection's host and port.
                $labels =~ s/server="[^"]*",?//;
                $labels =~ s/,\}$/}/;
                $labels = '' if $labels eq '{}';
                $metrics{"$name$labels"} = $value;
            }
            return (\%metrics, $response->{content});
        }
        usleep(100_000);
    }
    diag("exporter stderr: $exp_err");
    BAIL_OUT('the exporter never served assignment_v3 metrics');
}
my ($m, $text) = scrape();
sub sql { return $node->safe_psql('postgres', $_[0]); }
sub near { my ($got, $want, $name) = @_; ok(abs($got - $want) < 1e-6, "$name ($got vs $want)"); }

# --- Each metric is what the SQL says --------------------------------------------------------
my ($depth, $due, $review, $running, $max_parallel, $trips) = split /\|/, sql(q{
    SELECT queue_depth, due_now, manual_review, workers_running, max_parallel, circuit_trips
    FROM assignment_v3.status()});
is($m->{assignment_v3_queue_depth}, $depth, 'queue depth as status() says');
is($m->{assignment_v3_due_now}, $due, 'due now as status() says');
is($m->{assignment_v3_manual_review_queue}, $review, 'manual review queue as status() says');
cmp_ok($review, '==', 60, 'which holds the 60 parties of 40');
is($m->{assignment_v3_workers_running}, $running, 'workers running as status() says');
is($m->{assignment_v3_max_parallel}, $max_parallel, 'max_parallel as status() says');
is($m->{assignment_v3_circuit_trips_total}, $trips, 'circuit trips as status() says');
is($m->{assignment_v3_serving}, '1', 'serving');
is($m->{assignment_v3_circuit_open}, '0', 'circuit closed');
is($m->{assignment_v3_auto_rollback_tripped}, '0', 'kill switch not tripped');
is($m->{'assignment_v3_mode_info{extension_version="1.1",library_version="1.1",mode="v3",service="serving"}'}, '1',
    'mode and versions as labels');

my ($decisions, $confirmed) = split /\|/, sql(q{
    SELECT sum(decisions), sum(confirmed) FROM assignment_v3.confirmation_rate('10 minutes', '1 minute')});
is($m->{assignment_v3_10m_decisions}, $decisions, 'decisions in 10 minutes as confirmation_rate() says');
cmp_ok($decisions, '==', 600, 'one per booking');
is($m->{assignment_v3_10m_confirmed}, $confirmed, 'confirmed in 10 minutes as confirmation_rate() says');
near($m->{assignment_v3_10m_confirmation_pct}, 100 * $confirmed / $decisions, 'confirmation rate');
is($m->{assignment_v3_10m_errors}, sql(q{SELECT sum(errors) FROM assignment_v3.error_rate('10 minutes', '1 minute')}),
    'errors in 10 minutes as error_rate() says');
near($m->{assignment_v3_24h_manual_review_pct}, 100 * 60 / 600, 'the day\'s manual review share');
my ($p50, $p99) = split /\|/, sql(q{SELECT p50_ms, p99_ms FROM assignment_v3.latency('10 minutes') WHERE pipeline = 'v3'});
near($m->{assignment_v3_10m_latency_p50_seconds}, $p50 / 1000, 'latency p50 as latency() says');
near($m->{assignment_v3_10m_latency_p99_seconds}, $p99 / 1000, 'latency p99 as latency() says');

my %code = (proceed => 0, hold => 1, rollback => 2);
my $verdict = sql('SELECT assignment_v3.rollout_verdict()');
is($m->{"assignment_v3_verdict_code{verdict=\"$verdict\"}"}, $code{$verdict}, "the verdict ($verdict) as rollout_verdict() says");
for my $row (split /\n/, sql(q{SELECT check_name, passed::int FROM assignment_v3.rollout_gate()})) {
    my ($check, $passed) = split /\|/, $row;
    is($m->{"assignment_v3_gate_passed{check_name=\"$check\"}"}, $passed, "gate check $check as rollout_gate() says");
}

# --- A change shows at the next scrape -------------------------------------------------------
$node->safe_psql('postgres', q{ALTER SYSTEM SET assignment_v3.paused = on; SELECT pg_reload_conf();});
ok($node->poll_query_until('postgres', worker_count_sql(), '0'), 'workers paused');
my $deadline = time + $PostgreSQL::Test::Utils::timeout_default;
($m) = scrape();
while ($m->{assignment_v3_serving} ne '0' && time < $deadline) { usleep(100_000); ($m) = scrape(); }
is($m->{assignment_v3_serving}, '0', 'the exporter shows the workers not serving');
is($m->{assignment_v3_workers_running}, '0', 'and none running');
is($m->{'assignment_v3_mode_info{extension_version="1.1",library_version="1.1",mode="v3",service="paused"}'}, '1',
    'service paused');

# --- The rules, the dashboard and the metrics they use ---------------------------------------
my ($out, $err);
ok(IPC::Run::run(['promtool', 'check', 'rules', 'monitoring/alerts.yml'], '>', \$out, '2>', \$err),
    'promtool check rules') or diag("$out$err");
ok(IPC::Run::run(['promtool', 'test', 'rules', 'monitoring/alerts_test.yml'], '>', \$out, '2>', \$err),
    'promtool test rules') or diag("$out$err");
my ($ours) = join("\n", grep { /^(# (HELP|TYPE) )?assignment_v3/ } split /\n/, $text) . "\n";
ok(IPC::Run::run(['promtool', 'check', 'metrics'], '<', \$ours, '>', \$out, '2>', \$err),
    'promtool check metrics: the exposed names follow Prometheus conventions') or diag("$out$err");

my %exposed = map { /^(assignment_v3\w*)/ ? ($1 => 1) : () } keys %$m;
sub used_metrics { my %u = map { $_ => 1 } $_[0] =~ /\b(assignment_v3_\w+)/g; return sort keys %u; }
my @in_rules = used_metrics(slurp_file('monitoring/alerts.yml'));
my $dashboard = decode_json(slurp_file('monitoring/grafana/assignment_v3.json'));
my @in_dashboard = used_metrics(join "\n", map { $_->{expr} } map { @{ $_->{targets} // [] } } @{ $dashboard->{panels} });
cmp_ok(scalar(@in_rules), '>=', 8, 'the rules use the metrics');
cmp_ok(scalar(@in_dashboard), '>=', 15, 'the dashboard uses the metrics');
is(join(',', grep { !$exposed{$_} } @in_rules, @in_dashboard), '', 'every one of them is exposed');

$exporter->kill_kill;
$node->stop('fast');
done_testing();
