#!/usr/bin/env bash
# The Debian package, installed the way users install it: apt-get install of the .deb that
# scripts/package built; then a cluster with the library preloaded, CREATE EXTENSION, a booking
# served by the workers, and the files where the documentation says they are. Run as root by
# `scripts/test package`; prints TAP. The package is removed at the end (the caller reinstalls
# the working tree's build).
#
# Usage: test/package/install_test.sh <deb> <work dir>
set -uo pipefail
DEB=$1
WORK=$2
mkdir -p "$WORK"
PG_BIN=/usr/lib/postgresql/15/bin
PKG=postgresql-15-assignment-v3
n=0
failed=0
check() {  # check <description> <command...>
    local what=$1
    shift
    n=$((n + 1))
    if "$@" >"$WORK/check.out" 2>&1; then
        echo "ok $n - $what"
    else
        echo "not ok $n - $what"
        sed 's/^/# /' "$WORK/check.out" | head -n 20
        failed=$((failed + 1))
    fi
}
as_postgres() { runuser -u postgres -- env PATH="$PG_BIN:$PATH" "$@"; }
psql_value() { as_postgres psql -X -A -t -h "$WORK" -p 55434 -d bookings -c "$1"; }
equals() { [ "$1" = "$2" ] || { echo "got '$1', want '$2'"; return 1; }; }

# Waits (bounded) until the query returns the value.
poll() {
    local query=$1 want=$2 got=
    for _ in $(seq 1 300); do
        got=$(psql_value "$query" 2>/dev/null)
        [ "$got" = "$want" ] && return 0
        sleep 0.1
    done
    echo "waited 30 s for '$query' to return '$want'; last: '$got'"
    return 1
}

check "apt-get installs the package" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$DEB"
check "dpkg knows it" dpkg -s "$PKG"
check "the library is in the server's lib directory" test -f /usr/lib/postgresql/15/lib/assignment_v3.so
check "it is the package's" sh -c "dpkg -S /usr/lib/postgresql/15/lib/assignment_v3.so | grep -q '^$PKG:'"
for f in assignment_v3.control assignment_v3--1.1.sql assignment_v3--1.0.sql assignment_v3--1.0--1.1.sql; do
    check "extension file $f installed" test -f "/usr/share/postgresql/15/extension/$f"
done
check "the exporter's queries file is where docs/monitoring.md says" \
    test -f "/usr/share/doc/$PKG/monitoring/queries.yaml"
check "the alerting rules too" test -f "/usr/share/doc/$PKG/monitoring/alerts.yml"

mkdir -p "$WORK/pkgdata" && chown postgres "$WORK" "$WORK/pkgdata"
check "a new cluster" as_postgres initdb -D "$WORK/pkgdata" -A trust
cat >>"$WORK/pkgdata/postgresql.conf" <<CONF
listen_addresses = ''
unix_socket_directories = '$WORK'
port = 55434
shared_preload_libraries = 'assignment_v3'
assignment_v3.database = 'bookings'
assignment_v3.enabled = on
assignment_v3.poll_interval = '50ms'
CONF
check "starts with the library preloaded" as_postgres pg_ctl -D "$WORK/pkgdata" -l "$WORK/pkgdata.log" -w start
check "createdb" as_postgres createdb -h "$WORK" -p 55434 bookings
check "CREATE EXTENSION assignment_v3 CASCADE" psql_value "CREATE EXTENSION assignment_v3 CASCADE"
check "version 1.1, library and SQL alike" equals "$(psql_value "SELECT extension_version || '/' || library_version FROM assignment_v3.status()")" "1.1/1.1"
check "the workers serve" poll "SELECT service || ' ' || workers_running FROM assignment_v3.status()" "serving 2"
psql_value "INSERT INTO assignment_v3.restaurants (name) VALUES ('Packaged');
            INSERT INTO assignment_v3.restaurant_tables (restaurant_id, label, capacity)
            SELECT id, 'T' || g, 4 FROM assignment_v3.restaurants, generate_series(1, 5) g;
            INSERT INTO assignment_v3.bookings (restaurant_id, party_size, start_at, end_at)
            SELECT id, 2, now() + g * interval '1 day', now() + g * interval '1 day' + interval '2 hours'
            FROM assignment_v3.restaurants, generate_series(1, 20) g" >/dev/null
check "and confirm bookings" poll "SELECT count(*) FROM assignment_v3.bookings WHERE status = 'confirmed'" "20"
check "no invariant broken" equals "$(psql_value "SELECT count(*) FROM assignment_v3.check_invariants()")" "0"
as_postgres pg_ctl -D "$WORK/pkgdata" -m fast -w stop >/dev/null 2>&1
check "the package is removed cleanly" env DEBIAN_FRONTEND=noninteractive apt-get remove -y -qq "$PKG"
check "with its library" test ! -e /usr/lib/postgresql/15/lib/assignment_v3.so

echo "1..$n"
[ $failed -eq 0 ]
