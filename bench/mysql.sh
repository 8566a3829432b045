#!/usr/bin/env bash
# SQLite vs MySQL: bench/api.sh (whole stack through nginx, 1,000 articles seeded, wrk 2×32 on list, one article,
# tags and create) once with db-service on SQLite and once on a private MariaDB 10.11 (scripts/with-mariadb:
# InnoDB with innodb_flush_log_at_trx_commit=1, so a commit is on disk before it is acknowledged, as with SQLite's
# synchronous=FULL). MariaDB shares the two cores with everything else. Prints figures; asserts nothing.
# Usage: bench/mysql.sh   (DURATION=10s by default)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
if [ -z "${CONDUIT_TEST_MYSQL_URL:-}" ]; then
  exec scripts/with-mariadb "$0" "$@"
fi
echo "=== db-service on SQLite"
DATABASE_URL='' bench/api.sh
echo "=== db-service on MySQL (MariaDB $(mariadbd --version | awk '{print $3}'))"
DATABASE_URL="$CONDUIT_TEST_MYSQL_URL/bench_$$" bench/api.sh
