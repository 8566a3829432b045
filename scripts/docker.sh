# Shell functions for a private Docker engine (Debian's docker.io) that our scripts start and stop themselves:
# its own data root, socket and pid file under CONDUIT_DOCKER_DIR, never the system's. Source it.
# Nothing is ever pulled: images come from scripts/container-base-images and our own builds.

CONDUIT_DOCKER_DIR=${CONDUIT_DOCKER_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/conduit/docker}
export DOCKER_HOST="unix://$CONDUIT_DOCKER_DIR/docker.sock"
# The classic builder: BuildKit would try to fetch its frontend image.
export DOCKER_BUILDKIT=0 COMPOSE_DOCKER_CLI_BUILD=0

docker_engine_running() {
  docker version --format '{{.Server.Version}}' >/dev/null 2>&1
}

# Starts dockerd unless ours already answers; waits up to 60 s. Sets DOCKER_ENGINE_STARTED=1 when it started it.
docker_engine_start() {
  DOCKER_ENGINE_STARTED=0
  docker_engine_running && return 0
  command -v dockerd >/dev/null || { echo "dockerd is missing: run scripts/bootstrap --containers" >&2; return 1; }
  mkdir -p "$CONDUIT_DOCKER_DIR/data" "$CONDUIT_DOCKER_DIR/exec"
  dockerd --data-root "$CONDUIT_DOCKER_DIR/data" --exec-root "$CONDUIT_DOCKER_DIR/exec" \
    --pidfile "$CONDUIT_DOCKER_DIR/dockerd.pid" -H "$DOCKER_HOST" \
    --default-ulimit nofile=20000:20000 --default-ulimit nproc=32768:32768 \
    >"$CONDUIT_DOCKER_DIR/dockerd.log" 2>&1 &
  local deadline=$((SECONDS + 60))
  until docker_engine_running; do
    if [ $SECONDS -ge $deadline ]; then
      echo "dockerd did not start; its log:" >&2
      tail -n 30 "$CONDUIT_DOCKER_DIR/dockerd.log" >&2
      return 1
    fi
    sleep 0.5
  done
  DOCKER_ENGINE_STARTED=1
}

# Stops the engine if docker_engine_start started it (containers are stopped first by their owners).
docker_engine_stop() {
  [ "${DOCKER_ENGINE_STARTED:-0}" = 1 ] || return 0
  local pid
  pid=$(cat "$CONDUIT_DOCKER_DIR/dockerd.pid" 2>/dev/null) || return 0
  kill -TERM "$pid" 2>/dev/null || return 0
  local deadline=$((SECONDS + 30))
  while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.5; done
}
