# A throwaway Postgres cluster owned by the postgres user, with the extension preloaded.
# Used by scripts/demo and scripts/bench. Set CLUSTER_DIR and CLUSTER_PORT before sourcing.

: "${CLUSTER_PORT:=5488}"

# The cluster lives in the repository (.demo/, .bench/) when the postgres user can reach it,
# else under /tmp (a clone in /root, say, is not reachable by postgres).
cluster_home() {
    local wanted=$1 fallback=$2
    mkdir -p "$wanted" 2>/dev/null && chown postgres:postgres "$wanted" 2>/dev/null &&
        runuser -u postgres -- test -w "$wanted" && { echo "$wanted"; return; }
    mkdir -p "$fallback" && chown postgres:postgres "$fallback" && echo "$fallback"
}

cluster_psql() { as_postgres psql -X -q -h "$CLUSTER_DIR" -p "$CLUSTER_PORT" "$@"; }

cluster_stop() {
    [ -f "$CLUSTER_DIR/data/postmaster.pid" ] && as_postgres pg_ctl -D "$CLUSTER_DIR/data" -m fast -w stop >/dev/null
    true
}

# (Re)creates the cluster with the given extra configuration lines and starts it.
cluster_create() {
    local extra_conf=$1
    cluster_stop
    rm -rf "$CLUSTER_DIR/data"
    as_postgres initdb -D "$CLUSTER_DIR/data" -A trust -U postgres >/dev/null
    cat >>"$CLUSTER_DIR/data/postgresql.conf" <<CONF
listen_addresses = ''
unix_socket_directories = '$CLUSTER_DIR'
port = $CLUSTER_PORT
shared_preload_libraries = 'assignment_v3'
max_worker_processes = 24
assignment_v3.database = 'app'
$extra_conf
CONF
    as_postgres pg_ctl -D "$CLUSTER_DIR/data" -l "$CLUSTER_DIR/server.log" -w start >/dev/null
    as_postgres createdb -h "$CLUSTER_DIR" -p "$CLUSTER_PORT" app
    cluster_psql -d app -c "CREATE EXTENSION assignment_v3 CASCADE" 2>/dev/null
}
