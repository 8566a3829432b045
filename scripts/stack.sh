# Shell functions for scripts that run the whole stack on free loopback ports (e2e/run, bench/*.sh).
# Source it; it defines functions and runs nothing.

conduit_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# A free TCP port on 127.0.0.1.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# Starts scripts/run-stack in the background (BIN_DIR's binaries) on free ports with a throwaway data folder (or
# DATA_DIR when set, e.g. the one a `stop_stack --keep` left: it is removed at the end all the same), exports PORT
# API_PORT DB_PORT DATA_DIR BASE_URL and STACK_LOG, and waits until /api answers through nginx (60 s at most;
# otherwise prints the stack's log and fails). The stack stops when the calling script exits.
start_stack() {
  export PORT API_PORT DB_PORT DATA_DIR BASE_URL STACK_LOG
  PORT=$(free_port) API_PORT=$(free_port) DB_PORT=$(free_port)
  DATA_DIR=${DATA_DIR:-$(mktemp -d)}
  BASE_URL=http://127.0.0.1:$PORT
  STACK_LOG=$DATA_DIR/stack.log
  "$conduit_root/scripts/run-stack" >"$STACK_LOG" 2>&1 &
  STACK_PID=$!
  trap stop_stack EXIT
  local deadline=$((SECONDS + 60))
  until curl -fs -o /dev/null "$BASE_URL/api/tags"; do
    if ! kill -0 "$STACK_PID" 2>/dev/null || [ $SECONDS -ge $deadline ]; then
      echo "the stack did not come up; its log:" >&2
      cat "$STACK_LOG" >&2
      return 1
    fi
    sleep 0.1
  done
}

# Stops the stack start_stack started and removes its data folder; with --keep, keeps it (and DATA_DIR) for the
# next start_stack.
stop_stack() { # [--keep]
  kill -TERM "$STACK_PID" 2>/dev/null || true
  wait "$STACK_PID" 2>/dev/null || true
  if [ "${1:-}" != --keep ]; then
    [ -z "${DATA_DIR:-}" ] || rm -rf "$DATA_DIR"
    unset DATA_DIR
  fi
}
