# Conduit: `make up` runs the whole stack at http://127.0.0.1:8080, `make test` runs every test.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PORT ?= 8080
DATA_DIR ?= ./data
CARGO ?= cargo
TRUNK_FLAGS := --offline --cargo-profile wasm-release --release
TOOLS_VENV ?= $(or $(CONDUIT_TOOLS_VENV),$(or $(XDG_CACHE_HOME),$(HOME)/.cache)/conduit/tools-venv)

.PHONY: help bootstrap build services web up dev test lint fmt-check clippy unsafe-check cargo-test nginx-test k8s-test docker-lint \
	e2e contract images test-containers clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

bootstrap: ## Install missing tools (apt, rustup target, trunk, wasm-bindgen, npm packages)
	@scripts/bootstrap

services: ## Release build of db-service and api
	$(CARGO) build --release --locked -p db-service -p api

web: ## Release build of the SPA into web/dist
	cd web && trunk build $(TRUNK_FLAGS)

build: services web ## Build everything for `make up`

up: bootstrap build ## Build and run the whole stack at http://127.0.0.1:$(PORT) (data in $(DATA_DIR))
	PORT=$(PORT) DATA_DIR=$(DATA_DIR) BIN_DIR=target/release scripts/run-stack

dev: bootstrap ## db-service + api (dev mode) + trunk serve with /api proxied, hot reload on :8081
	$(CARGO) build --locked -p db-service -p api
	@trap 'kill 0' EXIT; \
	  CONDUIT_ENV=dev DATA_DIR=$(DATA_DIR) target/debug/db-service & \
	  CONDUIT_ENV=dev target/debug/api & \
	  cd web && trunk serve --offline

test: bootstrap lint cargo-test nginx-test k8s-test docker-lint e2e contract ## Every test: lints, unit + integration, nginx, manifests, browser, API contract

lint: fmt-check clippy unsafe-check

fmt-check:
	$(CARGO) fmt --all -- --check

clippy:
	$(CARGO) clippy --locked --workspace --all-targets -- -D warnings
	$(CARGO) clippy --locked -p web -p markdown-worker --target wasm32-unknown-unknown -- -D warnings

# db-service lends sqlx's SQLite handle to rusqlite (db-service/src/store/sqlite/direct.rs), its only unsafe code
# (the other crates forbid it): that is sound only while rusqlite leaves the connection's hooks alone when it lets go
# of it, so no crate may turn rusqlite's hook features on; and no other file of db-service may use unsafe code.
unsafe-check:
	@tree=$$($(CARGO) tree --locked --workspace -e features -i rusqlite) || exit 1; \
	if echo "$$tree" | grep -E 'rusqlite feature "(hooks|preupdate_hook)"'; then \
	  echo "rusqlite's hook features are on: db-service's direct writes would clear sqlx's hooks" >&2; exit 1; fi; \
	if grep -rnE '\bunsafe\b|unsafe_code' db-service/src --include='*.rs' | grep -v '^db-service/src/store/sqlite/direct.rs:'; then \
	  echo "unsafe code in db-service outside src/store/sqlite/direct.rs" >&2; exit 1; fi

cargo-test: ## Unit and integration tests; db-service's storage suite runs on SQLite and on a private MariaDB
	MOTO_SERVER=$(TOOLS_VENV)/bin/moto_server scripts/with-mariadb $(CARGO) test --locked --workspace --no-fail-fast

nginx-test: ## Render the nginx config, nginx -t it, and check its routing and headers against stand-in upstreams
	python3 nginx/test.py

k8s-test: ## Render every overlay, validate against the Kubernetes schemas, checkov, cross-reference checks
	$(TOOLS_VENV)/bin/python k8s/test.py

docker-lint: ## hadolint and checkov on the Dockerfile of the three images (offline)
	$(TOOLS_VENV)/bin/hadolint -t warning Dockerfile
	unshare -n sh -c 'ip link set lo up; $(TOOLS_VENV)/bin/checkov --quiet --compact --skip-download \
	  --framework dockerfile -f Dockerfile'

e2e: web ## RealWorld collection (newman, on SQLite and MySQL) + Playwright journeys, stack behind nginx
	@# The debug binaries of `cargo test --workspace` (same features, so nothing is rebuilt after cargo-test).
	$(CARGO) test --locked --workspace --no-run -q
	scripts/with-mariadb e2e/run

contract: web ## schemathesis, every check, against the served OpenAPI document (stack behind nginx, signed in)
	$(CARGO) test --locked --workspace --no-run -q
	TOOLS_VENV=$(TOOLS_VENV) api/contract/run

images: ## Build the db-service, api and frontend images offline (private Docker engine, local base images)
	@scripts/bootstrap --containers
	scripts/container-base-images
	scripts/build-images
	@. scripts/docker.sh && echo "the images are in the private engine, still running: DOCKER_HOST=$$DOCKER_HOST docker image ls"

test-containers: ## Build the images, run the compose stack, RealWorld collection + browser smoke test against it
	@scripts/bootstrap --containers
	scripts/test-containers

clean: ## Remove build output (keeps ./data)
	$(CARGO) clean
	rm -rf web/dist e2e/test-results
