# The workers at the C++/Postgres boundary.
#
# A hostile search_path: the role the workers run as has a search_path that puts a schema of
# functions shadowing built-ins (with better-matching argument types, so that they would win
# wherever a name is resolved through it) before pg_catalog; they exist before the workers
# start. The workers pin their search_path: bookings are seated, and none of those functions
# is ever called.
#
# An error while a worker starts: the catalog it reads to find the extension is locked and
# lock_timeout expires. The error is raised inside the error boundary: it is logged, the worker
# exits and is started again; nothing crashes (a C++ exception escaping would abort the process
# and take the server through a crash restart).
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use lib 'test/tap';
use Av3Test;

my $node = new_node('boundaries', q{
restart_after_crash = on
assignment_v3.max_parallel = 2
assignment_v3.enabled = on
assignment_v3.restaurant_rate_limit = 0
});
my $workers = worker_count_sql();

# --- A hostile search_path ---------------------------------------------------------------------
$node->safe_psql('postgres', q{
    CREATE EXTENSION assignment_v3 CASCADE;
    CREATE TABLE public.hostile_calls (fn text, at timestamptz DEFAULT clock_timestamp());
    GRANT INSERT ON public.hostile_calls TO PUBLIC;
    CREATE SCHEMA hostile;
    CREATE FUNCTION hostile.lower(tstzrange) RETURNS timestamptz LANGUAGE plpgsql AS
        $$BEGIN INSERT INTO public.hostile_calls (fn) VALUES ('lower'); RETURN '1999-01-01'; END$$;
    CREATE FUNCTION hostile.upper(tstzrange) RETURNS timestamptz LANGUAGE plpgsql AS
        $$BEGIN INSERT INTO public.hostile_calls (fn) VALUES ('upper'); RETURN '1999-01-01'; END$$;
    CREATE FUNCTION hostile.tstzrange(timestamptz, timestamptz) RETURNS tstzrange LANGUAGE plpgsql AS
        $$BEGIN INSERT INTO public.hostile_calls (fn) VALUES ('tstzrange'); RETURN pg_catalog.tstzrange($1, $2); END$$;
    CREATE FUNCTION hostile.now() RETURNS timestamptz LANGUAGE plpgsql AS
        $$BEGIN INSERT INTO public.hostile_calls (fn) VALUES ('now'); RETURN '1999-01-01'; END$$;
    CREATE FUNCTION hostile.unnest(uuid[]) RETURNS SETOF uuid LANGUAGE plpgsql AS
        $$BEGIN INSERT INTO public.hostile_calls (fn) VALUES ('unnest'); RETURN; END$$;
    CREATE FUNCTION hostile.count(uuid) RETURNS bigint LANGUAGE plpgsql AS
        $$BEGIN INSERT INTO public.hostile_calls (fn) VALUES ('count'); RETURN 0; END$$;
    GRANT USAGE ON SCHEMA hostile TO PUBLIC;
    ALTER ROLE CURRENT_USER SET search_path = hostile, public, pg_catalog;
    ALTER SYSTEM SET search_path = 'hostile, public, pg_catalog';
});
$node->restart;  # the workers start with the hostile search_path in place
ok($node->poll_query_until('postgres', $workers, '2'), 'two workers');
create_city($node, 'Hostile');
# Two rounds on the same evenings: the second reads the schedules the first wrote (every
# expression of the workers' statements is then evaluated on rows).
for my $round (1, 2) {
    $node->safe_psql('postgres', q{
        INSERT INTO assignment_v3.bookings (restaurant_id, party_size, start_at, end_at)
        SELECT r.id, 1 + g % 6, timestamptz '2031-12-01 19:00+00' + (g % 4) * interval '1 day',
               timestamptz '2031-12-01 21:00+00' + (g % 4) * interval '1 day'
        FROM assignment_v3.restaurants r, generate_series(1, 8) g;
        UPDATE assignment_v3.bookings SET status = 'cancelled'
        WHERE id IN (SELECT id FROM assignment_v3.bookings WHERE status = 'confirmed' ORDER BY id LIMIT 5);
    });
    ok($node->poll_query_until('postgres',
            q{SELECT count(*) FROM assignment_v3.bookings WHERE assignment_state = 'created'}, '0'),
        "the workers seat the bookings (round $round)");
}
is($node->safe_psql('postgres', q{SELECT count(*) FROM assignment_v3.table_assignments
    WHERE pg_catalog.lower(during) < '2000-01-01'}), '0', 'at the times of the bookings');
is($node->safe_psql('postgres', q{SELECT coalesce(string_agg(DISTINCT fn, ','), 'none') FROM public.hostile_calls}),
    'none', 'no function of the hostile schema was ever called');
is($node->safe_psql('postgres', 'SELECT count(*) FROM assignment_v3.check_invariants()'), '0', 'invariants hold');
$node->safe_psql('postgres', q{ALTER ROLE CURRENT_USER RESET search_path; ALTER SYSTEM RESET search_path});
$node->reload;

# --- An error while a worker starts ------------------------------------------------------------
$node->safe_psql('postgres', q{ALTER SYSTEM SET lock_timeout = '200ms'; SELECT pg_reload_conf()});
my $locker = $node->background_psql('postgres', on_error_stop => 1);
$locker->query_safe('SET lock_timeout = 0');
$locker->query_safe('BEGIN');
$locker->query_safe('LOCK TABLE pg_catalog.pg_extension IN ACCESS EXCLUSIVE MODE');
my $log_offset = -s $node->logfile;
my $pid = $node->safe_psql('postgres',
    q{SELECT pid FROM pg_stat_activity WHERE backend_type = 'assignment_v3 worker' ORDER BY pid LIMIT 1});
$node->safe_psql('postgres', "SELECT pg_terminate_backend($pid)");
# The launcher starts it again; its look at pg_extension times out.
$node->wait_for_log(qr/canceling statement due to lock timeout/, $log_offset);
$node->wait_for_log(qr/background worker "assignment_v3 worker" \(PID \d+\) exited with exit code 1/, $log_offset);
$locker->query_safe('COMMIT');
$locker->quit;
ok($node->poll_query_until('postgres', $workers, '2'), 'once the lock is gone the worker runs again');
my $log = slurp_file($node->logfile, $log_offset);
unlike($log, qr/terminated by signal|server process .* was terminated|all server processes terminated/,
    'the error stayed inside the boundary: no process crashed, no crash restart');
$node->safe_psql('postgres', q{
    INSERT INTO assignment_v3.bookings (restaurant_id, party_size, start_at, end_at)
    SELECT id, 2, '2031-12-10 19:00+00', '2031-12-10 21:00+00' FROM assignment_v3.restaurants});
ok($node->poll_query_until('postgres',
        q{SELECT count(*) FROM assignment_v3.bookings WHERE assignment_state = 'created'}, '0'),
    'and bookings are served');

$node->stop('fast');
done_testing();
