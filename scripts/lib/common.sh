# Shared by the README's commands (scripts/demo, scripts/test, scripts/bench): dependencies,
# build and install, and running things as the postgres user (initdb and postgres refuse root).

PG_MAJOR=15
PG_BIN=/usr/lib/postgresql/${PG_MAJOR}/bin
REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

# Debian packages the project needs: the server and its headers, the C++ toolchain, the
# unit-test and benchmark libraries, pgTAP and pg_prove, and the perl modules of the TAP tests.
PACKAGES=(
    postgresql-${PG_MAJOR} postgresql-client-${PG_MAJOR} postgresql-server-dev-${PG_MAJOR}
    postgresql-${PG_MAJOR}-pgtap libtap-parser-sourcehandler-pgtap-perl libipc-run-perl
    build-essential g++ make cmake libgtest-dev googletest libbenchmark-dev
    # Monitoring (monitoring/): Debian's Postgres exporter and Prometheus' promtool.
    prometheus-postgres-exporter prometheus
    # The Debian package (debian/, scripts/package): pg_buildext and debhelper.
    postgresql-server-dev-all debhelper fakeroot dpkg-dev
)

log() { printf '\n==> %s\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

require_root() {
    [ "$(id -u)" -eq 0 ] || die "run this as root (it installs packages and runs Postgres as the postgres user)"
}

# Installs whatever of PACKAGES is missing (apt-get update first, as on a fresh machine).
install_dependencies() {
    local missing=()
    for p in "${PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    # The example client (examples/node) needs Node and npm: Debian's, unless some Node is
    # installed already (a nodesource nodejs brings its own npm and conflicts with Debian's).
    command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
    if [ ${#missing[@]} -eq 0 ]; then
        log "dependencies: all ${#PACKAGES[@]} packages present"
        return
    fi
    log "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    # Debian's postgresql-common may create and start a default cluster: it is not ours, and
    # we use none of it, so it is left alone.
}

# Builds the extension and installs it into the server's directories.
build_and_install() {
    log "building and installing the extension"
    make -C "$REPO_ROOT" -s -j"$(nproc)" >/dev/null
    make -C "$REPO_ROOT" -s install >/dev/null
}

as_postgres() { runuser -u postgres -- env PATH="$PG_BIN:$PATH" "$@"; }

# A directory the postgres user owns, for clusters and test outputs.
postgres_dir() {
    local dir=$1
    mkdir -p "$dir"
    chown -R postgres:postgres "$dir"
}
