# Conduit's three images, built from the repository root, one target each (make images does all three, offline):
#   cargo vendor --locked vendor >/dev/null
#   docker build --target db-service -t conduit/db-service:dev .
#   docker build --target api        -t conduit/api:dev .
#   docker build --target frontend   -t conduit/frontend:dev .
# db-service and api are static musl binaries on an empty base; the frontend is nginx with only the files it
# loads, the SPA and its config templates. All run as uid 10001 with a read-only root filesystem.
# The compiling stages are written once and shared: the second and third builds reuse their layers. Stages come
# in build order, as the classic builder builds every stage before its target.
ARG RUST_IMAGE=rust:1.95-slim-bookworm
# Any Debian-based image with nginx >= 1.22 (with the realip module), bash and envsubst; only nginx, the libraries
# it loads and a few tools are taken from it (the official nginx:*-bookworm images qualify).
ARG NGINX_IMAGE=nginx:1.27-bookworm

# ---- workspace: vendored crates and the workspace's manifests, with stub crates ----
# checkov:skip=CKV_DOCKER_7: the base images are ARGs whose defaults pin version tags
FROM ${RUST_IMAGE} AS workspace
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
WORKDIR /src
# Crates come from vendor/ (`cargo vendor`), so the build needs no network.
RUN mkdir .cargo && printf '%s\n' '[source.crates-io]' 'replace-with = "vendored"' \
      '[source.vendored]' 'directory = "vendor"' > .cargo/config.toml
COPY vendor/ vendor/
COPY Cargo.toml Cargo.lock ./
COPY api/Cargo.toml api/
COPY api/markdown/Cargo.toml api/markdown/
COPY api/types/Cargo.toml api/types/
COPY db-service/Cargo.toml db-service/
COPY db-service/client/Cargo.toml db-service/client/
COPY db-service/runtime/Cargo.toml db-service/runtime/
COPY db-service/testkit/Cargo.toml db-service/testkit/
COPY web/Cargo.toml web/
COPY web/markdown-worker/Cargo.toml web/markdown-worker/
# Empty crates, so dependencies build (and are cached) before any of our sources are copied.
RUN for lib in api api/markdown api/types db-service db-service/client db-service/runtime db-service/testkit; do mkdir -p "$lib/src" && touch "$lib/src/lib.rs"; done \
 && for bin in api db-service web web/markdown-worker; do mkdir -p "$bin/src" && echo 'fn main() {}' > "$bin/src/main.rs"; done

# ---- services: the api and db-service binaries ----
FROM workspace AS services
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
# The Rust target for the image's architecture: TARGETARCH (set by BuildKit, also under --platform) or, with the
# classic builder, the build machine's own. RUST_TARGET overrides it (e.g. aarch64-unknown-linux-musl).
ARG TARGETARCH
ARG RUST_TARGET
# A static musl binary needs the musl target and musl-gcc (SQLite and ring are C). The public rust image lacks
# both and installs them here; the prepared offline image (scripts/container-base-images) already has them.
# hadolint ignore=DL3008
RUN target=${RUST_TARGET:-} \
 && if [ -z "$target" ]; then \
      case "${TARGETARCH:-$(dpkg --print-architecture)}" in \
        amd64) target=x86_64-unknown-linux-musl ;; \
        arm64) target=aarch64-unknown-linux-musl ;; \
        *) echo "no Rust target known for ${TARGETARCH:-this machine}: pass --build-arg RUST_TARGET=…" >&2; exit 1 ;; \
      esac; \
    fi \
 && echo "$target" > /rust-target \
 && (rustup target list --installed | grep -qx "$target" || rustup target add "$target") \
 && (command -v musl-gcc >/dev/null || (apt-get update && apt-get install -y --no-install-recommends musl-tools \
     && rm -rf /var/lib/apt/lists/*)) \
 && cargo build --release --locked --offline --target "$target" -p api -p db-service
COPY api/ api/
COPY db-service/ db-service/
# COPY keeps the sources' older mtimes: touch them so cargo rebuilds our crates over the stubs.
RUN target=$(cat /rust-target) \
 && find api db-service -name '*.rs' -exec touch {} + \
 && cargo build --release --locked --offline --target "$target" -p api -p db-service \
 && mkdir -p /out/data /out/backups /out/tmp \
 && cp "target/$target/release/api" "target/$target/release/db-service" /out/

# ---- runtime: what every image starts from: an empty base, the labels they share, the service user ----
FROM scratch AS runtime
ARG VERSION=dev
ARG REVISION=unknown
LABEL org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.licenses="MIT"
USER 10001:10001

# ---- db-service image ----
FROM runtime AS db-service
LABEL org.opencontainers.image.title="conduit-db-service" \
      org.opencontainers.image.description="Conduit's Database Service: owns the SQLite databases and their backups"
COPY --from=services /out/db-service /usr/local/bin/db-service
# Empty folders owned by the service user: a fresh named volume takes their owner; SQLite may spill to /tmp.
COPY --from=services --chown=10001:10001 /out/data /var/lib/conduit/data
COPY --from=services --chown=10001:10001 /out/backups /var/lib/conduit/backups
COPY --from=services --chown=10001:10001 /out/tmp /tmp
ENV DB_SERVICE_ADDR=0.0.0.0:3001 \
    DATA_DIR=/var/lib/conduit/data \
    BACKUP_DIR=/var/lib/conduit/backups \
    LOG_FORMAT=json
EXPOSE 3001
VOLUME ["/var/lib/conduit/data", "/var/lib/conduit/backups"]
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 CMD ["/usr/local/bin/db-service", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/db-service"]
CMD ["serve"]

# ---- api image (API_ROLE chooses what an instance serves: all, users, posts, read, create, update, delete) ----
FROM runtime AS api
LABEL org.opencontainers.image.title="conduit-api" \
      org.opencontainers.image.description="Conduit's public RealWorld API (users, profiles, articles, comments, tags)"
COPY --from=services /out/api /usr/local/bin/api
ENV API_ADDR=0.0.0.0:3000 \
    DB_SERVICE_URL=http://db-service:3001 \
    LOG_FORMAT=json
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=5s --start-period=10s --retries=3 CMD ["/usr/local/bin/api", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/api"]
CMD ["serve"]

# ---- web: the SPA, built by trunk ----
FROM workspace AS web
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
ARG TRUNK_VERSION=0.21.14
# Must equal the wasm-bindgen version in Cargo.lock (and web/Trunk.toml).
ARG WASM_BINDGEN_VERSION=0.2.130
# The public rust image lacks the Wasm target, trunk, wasm-bindgen, python3 and zopfli (trunk's post-build hook) and
# installs them here; the prepared offline image (scripts/container-base-images) already has them.
# hadolint ignore=DL3008
RUN (rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown) \
 && (trunk --version 2>/dev/null | grep -q " $TRUNK_VERSION" || cargo install trunk --version "$TRUNK_VERSION" --locked) \
 && (wasm-bindgen --version 2>/dev/null | grep -q " $WASM_BINDGEN_VERSION" \
     || cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION") \
 && (command -v python3 >/dev/null && command -v zopfli >/dev/null \
     || (apt-get update && apt-get install -y --no-install-recommends python3 zopfli && rm -rf /var/lib/apt/lists/*)) \
 && cargo build --profile wasm-release --locked --offline --target wasm32-unknown-unknown -p web -p markdown-worker
COPY api/types/ api/types/
COPY api/markdown/ api/markdown/
COPY web/ web/
COPY scripts/finish-web-build.py scripts/
# COPY keeps the sources' older mtimes: touch them so cargo rebuilds our crates over the stubs.
RUN find api/types api/markdown web -name '*.rs' -exec touch {} +
WORKDIR /src/web
RUN trunk build --offline --release --cargo-profile wasm-release

# ---- frontend-root: nginx and only the files it and the start-up scripts load, taken from NGINX_IMAGE ----
FROM ${NGINX_IMAGE} AS frontend-root
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
# Each program with the shared libraries ldd says it loads (and the dynamic loader), at their own paths; nginx
# needs no dynamic module here. bash, env, cat, mkdir, rm and envsubst run scripts/render-nginx and the health
# check.
RUN mkdir -p /rootfs/etc/nginx /rootfs/run/nginx /rootfs/usr/share/conduit \
 && for program in "$(command -v nginx)" "$(command -v bash)" "$(command -v env)" "$(command -v cat)" \
                   "$(command -v mkdir)" "$(command -v rm)" "$(command -v envsubst)"; do \
      for file in "$program" $(ldd "$program" | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}'); do \
        cp --parents --dereference "$file" /rootfs/; \
      done; \
    done \
 && cp /etc/nginx/mime.types /rootfs/etc/nginx/ \
 && printf 'root:x:0:0::/:/nonexistent\nconduit:x:10001:10001::/nonexistent:/nonexistent\n' > /rootfs/etc/passwd \
 && printf 'root:x:0:\nconduit:x:10001:\n' > /rootfs/etc/group \
 && printf 'hosts: files dns\n' > /rootfs/etc/nsswitch.conf \
 && chown 10001:10001 /rootfs/run/nginx

# ---- frontend image: nginx serving the SPA and proxying /api ----
# Configured from the environment at start: LISTEN (0.0.0.0:8080), USERS_UPSTREAM, POSTS_UPSTREAM (host:port),
# optionally POSTS_{READ,CREATE,UPDATE,DELETE}_UPSTREAM to route posts by HTTP method, and REAL_IP_FROM (the
# proxies whose X-Forwarded-For is believed). With a read-only root filesystem, mount a writable /run/nginx.
FROM runtime AS frontend
LABEL org.opencontainers.image.title="conduit-frontend" \
      org.opencontainers.image.description="Conduit's frontend: the Leptos SPA and the /api reverse proxy (nginx)"
COPY --from=frontend-root /rootfs/ /
COPY --from=web /src/web/dist /usr/share/conduit/web
COPY nginx/*.conf.template /opt/conduit/nginx/
COPY scripts/render-nginx /opt/conduit/scripts/render-nginx
COPY nginx/docker-entrypoint nginx/healthcheck /opt/conduit/
# TMPDIR: anything that needs a temporary file (a large here-document) writes to the one writable folder.
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    TMPDIR=/run/nginx \
    LISTEN=0.0.0.0:8080 \
    WEB_ROOT=/usr/share/conduit/web \
    RUN_DIR=/run/nginx \
    ACCESS_LOG=/dev/stdout
EXPOSE 8080
STOPSIGNAL SIGQUIT
HEALTHCHECK --interval=10s --timeout=5s --start-period=5s --retries=3 CMD ["/opt/conduit/healthcheck"]
ENTRYPOINT ["/opt/conduit/docker-entrypoint"]
