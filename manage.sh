#!/usr/bin/env bash
# manage.sh — the CoreScope operator's CLI. Run `./manage.sh help` for the commands.
#
# It drives the Docker image when a Docker engine answers, and the native
# binaries (bin/corescope-*) otherwise; CORESCOPE_MODE=docker|native forces one.
# Host settings live in ./.env (written by `setup`), settings for the
# programs in <data dir>/.env and <data dir>/config.json.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$ROOT"

die() { printf 'manage.sh: %s\n' "$*" >&2; exit 1; }
info() { printf '==> %s\n' "$*"; }
warn() { printf 'manage.sh: warning: %s\n' "$*" >&2; }
have() { command -v "$1" >/dev/null 2>&1; }

# load_env FILE: KEY=value lines; a variable already set in the environment
# wins, so `CORESCOPE_MODE=native ./manage.sh start` works over any file.
load_env() {
	local file="$1" line key value
	[ -f "$file" ] || return 0
	while IFS= read -r line || [ -n "$line" ]; do
		line="${line%$'\r'}"
		case "$line" in '' | '#'*) continue ;; esac
		[[ "$line" == *=* ]] || continue
		key="${line%%=*}"
		value="${line#*=}"
		key="${key#export }"
		key="${key//[[:space:]]/}"
		[[ "$key" =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || continue
		value="${value#\"}"
		value="${value%\"}"
		value="${value#\'}"
		value="${value%\'}"
		[ -n "${!key+x}" ] && continue
		printf -v "$key" '%s' "$value"
		export "${key?}"
	done <"$file"
}

load_env "$ROOT/.env"
DATA_DIR="${CORESCOPE_DATA_DIR:-$ROOT/data}"
DATA_DIR="${DATA_DIR/#\~/$HOME}"
BIN_DIR="${CORESCOPE_BIN_DIR:-$ROOT/bin}"
CONTAINER="${CORESCOPE_CONTAINER:-corescope}"
IMAGE="${CORESCOPE_IMAGE:-corescope:latest}"
DB_FILE="$DATA_DIR/meshcore.db"
RUN_DIR="$DATA_DIR/run"
LOG_DIR="$DATA_DIR/logs"
ASSUME_YES="${CORESCOPE_ASSUME_YES:-}"

is_true() {
	case "${1:-}" in true | TRUE | True | 1 | yes | YES | on | ON) return 0 ;; *) return 1 ;; esac
}

# mode: docker or native (decided once per run).
MODE=""
mode() {
	if [ -z "$MODE" ]; then
		case "${CORESCOPE_MODE:-auto}" in
			docker | native) MODE="$CORESCOPE_MODE" ;;
			auto)
				if have docker && timeout 10 docker info >/dev/null 2>&1; then MODE=docker; else MODE=native; fi
				;;
			*) die "CORESCOPE_MODE must be docker, native or auto (got '$CORESCOPE_MODE')" ;;
		esac
	fi
	printf '%s' "$MODE"
}

http_port() {
	if [ "$(mode)" = docker ]; then printf '%s' "${CORESCOPE_HTTP_PORT:-80}"; else printf '%s' "${CORESCOPE_HTTP_PORT:-3000}"; fi
}
base_url() { printf 'http://127.0.0.1:%s' "$(http_port)"; }

# http_get URL: body on stdout; fails on a non-2xx answer.
http_get() {
	if have curl; then
		curl -fsS -m "${HTTP_TIMEOUT:-5}" "$1"
	elif have wget; then
		wget -q -T "${HTTP_TIMEOUT:-5}" -O - "$1"
	else
		die "need curl or wget"
	fi
}

# json_field JSON KEY: the first scalar value of KEY (numbers, booleans,
# strings); enough for our flat API answers without requiring jq.
json_field() {
	{ printf '%s' "$1" | grep -o "\"$2\"[[:space:]]*:[[:space:]]*\(\"[^\"]*\"\|[-0-9.eE+]*\|true\|false\|null\)" || true; } |
		awk 'NR == 1' | sed -e 's/^[^:]*:[[:space:]]*//' -e 's/^"//' -e 's/"$//'
}

confirm() {
	local answer
	is_true "$ASSUME_YES" && return 0
	[ -t 0 ] || die "$1 — refusing without confirmation (pass --yes)"
	read -r -p "$1 [y/N] " answer
	case "$answer" in y | Y | yes | YES) return 0 ;; *) return 1 ;; esac
}

port_busy() {
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

wait_for_port() {
	local port="$1" secs="$2" i
	for ((i = 0; i < secs * 5; i++)); do
		port_busy "$port" && return 0
		sleep 0.2
	done
	return 1
}

wait_for_http() {
	local url="$1" secs="$2" i
	for ((i = 0; i < secs * 2; i++)); do
		HTTP_TIMEOUT=2 http_get "$url" >/dev/null 2>&1 && return 0
		sleep 0.5
	done
	return 1
}

file_size() { if [ -f "$1" ]; then wc -c <"$1" | tr -d ' '; else echo 0; fi; }
human_mb() { awk -v b="$1" 'BEGIN { printf "%.1f MB", b / 1048576 }'; }
timestamp() { date -u +%Y%m%d-%H%M%S; }

# ---------------------------------------------------------------------------
# build: the three binaries, exactly as the Dockerfile and the tests build them.
# ---------------------------------------------------------------------------
cmd_build() {
	have go || die "Go 1.26 is required to build (https://go.dev/dl), or use the Docker image"
	mkdir -p "$BIN_DIR"
	local tmp name
	tmp="$(mktemp -d "$BIN_DIR/.build.XXXXXX")"
	info "building corescope-server, corescope-ingestor, corescope-meshsim into $BIN_DIR"
	# Version stamps: build args in the Dockerfile, else git (when present).
	local version="${APP_VERSION:-}" commit="${GIT_COMMIT:-}" built="${BUILD_TIME:-}"
	[ -n "$version" ] || version="$(git describe --tags --always --dirty 2>/dev/null || echo dev)"
	[ -n "$commit" ] || commit="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
	[ -n "$built" ] || built="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
	if ! CGO_ENABLED=0 go build -trimpath \
		-ldflags "-s -w -X main.version=$version -X main.commit=$commit -X main.buildTime=$built ${CORESCOPE_LDFLAGS:-}" \
		-o "$tmp/" ./cmd/server ./cmd/ingestor ./cmd/meshsim; then
		rm -rf "$tmp"
		die "go build failed (see above)"
	fi
	for name in server ingestor meshsim; do
		mv -f "$tmp/$name" "$BIN_DIR/corescope-$name"
	done
	rm -rf "$tmp"
}

ensure_binaries() {
	local name
	for name in server ingestor; do
		if [ ! -x "$BIN_DIR/corescope-$name" ]; then
			cmd_build
			return
		fi
	done
}

# ---------------------------------------------------------------------------
# native process management: pid files in <data>/run, logs in <data>/logs.
# ---------------------------------------------------------------------------
SERVICES=(ingestor server)

native_pid() {
	local svc="$1" pid
	pid="$(cat "$RUN_DIR/$svc.pid" 2>/dev/null || true)"
	[ -n "$pid" ] || return 1
	kill -0 "$pid" 2>/dev/null || return 1
	# A recycled pid must not be mistaken for ours (and never be killed).
	if [ -r "/proc/$pid/cmdline" ]; then
		local cmdline
		cmdline="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null || true)"
		[[ "$cmdline" == *"corescope-$svc"* ]] || return 1
	fi
	printf '%s' "$pid"
}

native_args() {
	case "$1" in
		ingestor) printf '%s\n' -config "$DATA_DIR/config.json" ;;
		server) printf '%s\n' -config-dir "$DATA_DIR" -db "$DB_FILE" -port "$(http_port)" ;;
	esac
}

native_start_one() {
	local svc="$1" pid args=()
	if pid="$(native_pid "$svc")"; then
		info "$svc already running (pid $pid)"
		return 0
	fi
	mapfile -t args < <(native_args "$svc")
	mkdir -p "$RUN_DIR" "$LOG_DIR"
	local launcher=()
	have setsid && launcher=(setsid)
	DB_PATH="$DB_FILE" CORESCOPE_INGESTOR_STATS="$RUN_DIR/ingestor-stats.json" \
		nohup "${launcher[@]}" "$BIN_DIR/corescope-$svc" "${args[@]}" >>"$LOG_DIR/$svc.log" 2>&1 </dev/null &
	echo $! >"$RUN_DIR/$svc.pid"
	sleep 1
	native_pid "$svc" >/dev/null || die "$svc exited at once; last log lines:
$(tail -n 15 "$LOG_DIR/$svc.log")"
	info "$svc started (pid $(cat "$RUN_DIR/$svc.pid"), log $LOG_DIR/$svc.log)"
}

native_stop_one() {
	local svc="$1" pid i
	pid="$(native_pid "$svc")" || {
		rm -f "$RUN_DIR/$svc.pid"
		return 0
	}
	kill -TERM "$pid" 2>/dev/null || true
	for ((i = 0; i < 100; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.25
	done
	if kill -0 "$pid" 2>/dev/null; then
		warn "$svc (pid $pid) ignored SIGTERM for 25 s; killing it"
		kill -KILL "$pid" 2>/dev/null || true
	fi
	rm -f "$RUN_DIR/$svc.pid"
	info "$svc stopped"
}

native_running() {
	local svc
	for svc in "${SERVICES[@]}"; do native_pid "$svc" >/dev/null && return 0; done
	return 1
}

# ---------------------------------------------------------------------------
# docker
# ---------------------------------------------------------------------------
docker_exists() { docker container inspect "$CONTAINER" >/dev/null 2>&1; }
docker_running() { [ "$(docker container inspect -f '{{.State.Running}}' "$CONTAINER" 2>/dev/null)" = true ]; }

# docker_build [EXTRA DOCKER BUILD ARGS]: build $IMAGE. CORESCOPE_BUILD_TIME
# pins the BUILD_TIME argument, so two builds (test-image: the image, then
# its build stage) share every cached layer.
docker_build() {
	info "building image $IMAGE"
	docker build -t "$IMAGE" \
		--build-arg APP_VERSION="$(git describe --tags --always 2>/dev/null || echo unknown)" \
		--build-arg GIT_COMMIT="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)" \
		--build-arg BUILD_TIME="${CORESCOPE_BUILD_TIME:-$(date -u +%Y-%m-%dT%H:%M:%SZ)}" "$@" "$ROOT"
}

docker_create() {
	load_env "$DATA_DIR/.env"
	docker image inspect "$IMAGE" >/dev/null 2>&1 || docker_build
	local args=(-d --name "$CONTAINER" --restart unless-stopped --stop-timeout 30
		-p "$(http_port):80" -p "${CORESCOPE_HTTPS_PORT:-443}:443"
		-v "$DATA_DIR:/app/data" -v "$CONTAINER-caddy:/data/caddy"
		--add-host host.docker.internal:host-gateway)
	is_true "${DISABLE_MOSQUITTO:-}" || args+=(-p "${CORESCOPE_MQTT_PORT:-1883}:1883")
	[ -f "$ROOT/caddy/Caddyfile" ] && args+=(-v "$ROOT/caddy/Caddyfile:/etc/caddy/Caddyfile:ro")
	docker run "${args[@]}" "$IMAGE" >/dev/null
	info "container $CONTAINER started"
}

# ---------------------------------------------------------------------------
# test: install what the tests need (when missing), then run every test.
# .ci/run calls exactly this.
# ---------------------------------------------------------------------------
TEST_APT_PACKAGES=(mosquitto mosquitto-clients chromium caddy supervisor shellcheck sqlite3 protobuf-compiler)

test_deps() {
	local missing=()
	command -v mosquitto >/dev/null 2>&1 || [ -x /usr/sbin/mosquitto ] || missing+=(mosquitto)
	command -v mosquitto_sub >/dev/null 2>&1 || missing+=(mosquitto-clients)
	command -v chromium >/dev/null 2>&1 || missing+=(chromium)
	command -v caddy >/dev/null 2>&1 || missing+=(caddy)
	command -v supervisord >/dev/null 2>&1 || missing+=(supervisor)
	command -v shellcheck >/dev/null 2>&1 || missing+=(shellcheck)
	command -v sqlite3 >/dev/null 2>&1 || missing+=(sqlite3)
	command -v protoc >/dev/null 2>&1 || missing+=(protobuf-compiler)
	if [ ${#missing[@]} -gt 0 ]; then
		info "installing test dependencies: ${missing[*]}"
		[ "$(id -u)" = 0 ] || die "need root to apt-get install ${missing[*]} (or install them yourself)"
		apt-get update -qq
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${TEST_APT_PACKAGES[@]}" >/dev/null
	fi
	command -v go >/dev/null 2>&1 || die "Go 1.26 is required (https://go.dev/dl)"
	if [ -f internal/webtest/browser/package.json ]; then
		command -v npm >/dev/null 2>&1 || die "Node.js 20 + npm are required for the browser tests"
		info "installing browser test packages (npm ci)"
		(cd internal/webtest/browser && npm ci --no-audit --no-fund --loglevel=error)
	fi
}

cmd_test() {
	test_deps
	export PATH="$PATH:/usr/sbin"
	info "gofmt"
	local unformatted
	unformatted="$(gofmt -l cmd internal proto public 2>/dev/null || true)"
	[ -z "$unformatted" ] || die "gofmt needed on: $unformatted"
	info "go vet"
	go vet ./...
	info "shellcheck"
	shellcheck manage.sh .ci/run docker/*.sh
	info "go test -race (all packages)"
	go test -race -count=1 -timeout 30m ./...
	info "fuzz the packet decoder (${FUZZTIME:-30s})"
	go test ./internal/meshcore -run '^$' -fuzz '^FuzzDecode$' -fuzztime "${FUZZTIME:-30s}"
	info "all tests passed"
}

# ---------------------------------------------------------------------------
# start / stop / restart / status / logs
# ---------------------------------------------------------------------------
require_config() {
	[ -f "$DATA_DIR/config.json" ] ||
		die "no $DATA_DIR/config.json yet — run ./manage.sh setup first (or ./manage.sh demo to try it out)"
}

cmd_start() {
	mkdir -p "$DATA_DIR"
	if [ "$(mode)" = docker ]; then
		if docker_running; then info "container $CONTAINER is already running"; elif docker_exists; then docker start "$CONTAINER" >/dev/null && info "container $CONTAINER started"; else docker_create; fi
	else
		require_config
		ensure_binaries
		local svc
		for svc in "${SERVICES[@]}"; do native_start_one "$svc"; done
	fi
	if wait_for_http "$(base_url)/api/stats" 60; then
		info "CoreScope is up: $(base_url)/"
	else
		warn "no answer from $(base_url) after 60 s; see ./manage.sh logs"
	fi
}

cmd_stop() {
	if [ "$(mode)" = docker ]; then
		if docker_running; then docker stop -t 30 "$CONTAINER" >/dev/null && info "container $CONTAINER stopped"; else info "container $CONTAINER is not running"; fi
	else
		local i
		# Server first (it only reads), then the ingestor (commits and checkpoints).
		for ((i = ${#SERVICES[@]} - 1; i >= 0; i--)); do native_stop_one "${SERVICES[i]}"; done
	fi
}

cmd_restart() {
	if [ "$(mode)" = docker ]; then
		# Recreate, so a rebuilt image and changed ports take effect.
		docker_exists && docker rm -f "$CONTAINER" >/dev/null
		docker_create
		wait_for_http "$(base_url)/api/stats" 60 && info "CoreScope is up: $(base_url)/"
	else
		cmd_stop
		cmd_start
	fi
}

# print_sources JSON: one line per MQTT source from the ingestor's stats file.
print_sources() {
	local stats="$1"
	if have jq; then
		printf '%s' "$stats" | jq -r '.sources[]? | "  \(.name)  \(if .connected then "connected" else "DISCONNECTED" end)  \(.broker)  messages=\(.messages) dropped=\(.dropped) last_message=\(if .lastMessageAt == "" then "never" else .lastMessageAt end)\(if (.lastError // "") != "" then "  last_error=" + .lastError else "" end)"' 2>/dev/null && return
	fi
	if have python3; then
		printf '%s' "$stats" | python3 -c '
import json, sys
for s in json.load(sys.stdin).get("sources") or []:
    state = "connected" if s.get("connected") else "DISCONNECTED"
    err = "  last_error=" + s["lastError"] if s.get("lastError") else ""
    print("  %s  %s  %s  messages=%s dropped=%s last_message=%s%s" % (s.get("name"), state, s.get("broker"),
          s.get("messages"), s.get("dropped"), s.get("lastMessageAt") or "never", err))' && return
	fi
	printf '  %s\n' "$(printf '%s' "$stats" | grep -o '"sources":.*')"
}

cmd_status() {
	local url stats healthz state pid svc
	url="$(base_url)"
	printf 'mode:      %s\n' "$(mode)"
	printf 'data:      %s\n' "$DATA_DIR"
	if [ "$(mode)" = docker ]; then
		state="$(docker container inspect -f '{{.State.Status}}{{if .State.Health}} ({{.State.Health.Status}}){{end}}' "$CONTAINER" 2>/dev/null || true)"
		[ -n "$state" ] || state="not created (./manage.sh start)"
		printf 'container: %s %s\n' "$CONTAINER" "$state"
		if docker_running; then
			docker exec "$CONTAINER" supervisorctl -c /app/docker/supervisord.conf status 2>/dev/null | sed 's/^/  /' || true
		fi
		stats="$(docker exec "$CONTAINER" cat /run/corescope/ingestor-stats.json 2>/dev/null || true)"
	else
		for svc in "${SERVICES[@]}"; do
			if pid="$(native_pid "$svc")"; then printf '%-10s running (pid %s)\n' "$svc:" "$pid"; else printf '%-10s stopped\n' "$svc:"; fi
		done
		stats="$(cat "$RUN_DIR/ingestor-stats.json" 2>/dev/null || true)"
	fi
	if healthz="$(HTTP_TIMEOUT=3 http_get "$url/api/healthz" 2>/dev/null)"; then
		printf 'health:    ready (%s)\n' "$url"
	elif HTTP_TIMEOUT=3 http_get "$url/api/stats" >/dev/null 2>&1; then
		printf 'health:    loading (HTTP answers, store not loaded yet)\n'
	else
		printf 'health:    DOWN (no answer from %s)\n' "$url"
	fi
	if [ -n "${healthz:-}" ] || HTTP_TIMEOUT=3 http_get "$url/api/stats" >/dev/null 2>&1; then
		local s
		s="$(HTTP_TIMEOUT=5 http_get "$url/api/stats" 2>/dev/null || true)"
		printf 'packets:   %s (last hour %s, observations %s)\n' "$(json_field "$s" totalPackets)" "$(json_field "$s" packetsLastHour)" "$(json_field "$s" totalObservations)"
		printf 'nodes:     %s active, %s all time\n' "$(json_field "$s" totalNodes)" "$(json_field "$s" totalNodesAllTime)"
		printf 'observers: %s\n' "$(json_field "$s" totalObservers)"
	fi
	for f in "$DB_FILE" "$DB_FILE-wal"; do
		[ -f "$f" ] && printf 'db file:   %s %s\n' "$f" "$(human_mb "$(file_size "$f")")"
	done
	warn_anonymous_broker
	if [ -n "$stats" ]; then
		printf 'mqtt sources (ingestor stats at %s):\n' "$(json_field "$stats" sampledAt)"
		print_sources "$stats"
	else
		printf 'mqtt sources: unknown (no ingestor stats file; is the ingestor running?)\n'
	fi
}

# warn_anonymous_broker: the built-in broker lets anyone publish when no login
# is configured (container without MQTT_USERNAME / MOSQUITTO_PASSWORD_FILE, or
# the native embedded broker, which has no logins).
warn_anonymous_broker() {
	load_env "$DATA_DIR/.env"
	if [ "$(mode)" = docker ]; then
		is_true "${DISABLE_MOSQUITTO:-false}" && return 0
		[ -z "${MQTT_USERNAME:-}" ] && [ -z "${MOSQUITTO_PASSWORD_FILE:-}" ] || return 0
	elif ! grep -q '"embeddedBroker": *"[^"]' "$DATA_DIR/config.json" 2>/dev/null; then
		return 0
	fi
	warn "the built-in MQTT broker accepts ANONYMOUS publishing: anyone who reaches its port can inject packets (set a login: README, Protecting a public broker)"
}

cmd_logs() {
	local svc="${1:-all}" lines="${2:-100}"
	case "$svc" in all | ingestor | server | mosquitto | caddy) ;; [0-9]*) lines="$svc" svc=all ;; *) die "logs: unknown service '$svc' (ingestor, server, mosquitto, caddy or all)" ;; esac
	if [ "$(mode)" = docker ]; then
		docker_exists || die "container $CONTAINER does not exist (./manage.sh start)"
		if [ "$svc" = all ]; then
			docker logs -f --tail "$lines" "$CONTAINER"
		else
			# Every line in the container log starts with its program's name.
			docker logs -f --tail "$((lines * 4))" "$CONTAINER" 2>&1 | grep --line-buffered "^$svc | "
		fi
	else
		case "$svc" in mosquitto | caddy) die "logs: $svc only runs in the Docker image" ;; esac
		local files=()
		if [ "$svc" = all ]; then files=("$LOG_DIR/ingestor.log" "$LOG_DIR/server.log"); else files=("$LOG_DIR/$svc.log"); fi
		for f in "${files[@]}"; do [ -f "$f" ] || die "no log file $f yet (./manage.sh start)"; done
		tail -n "$lines" -F "${files[@]}"
	fi
}

# ---------------------------------------------------------------------------
# backup / restore
# ---------------------------------------------------------------------------

# sqlite_cmd: how to run sqlite3 on the data directory's files: on the host
# when it has sqlite3 (the data dir is a bind mount in Docker mode too), else
# inside the container.
sqlite_on_host() { have sqlite3; }

sql_escape() { printf '%s' "${1//\'/\'\'}"; }

# check_db FILE: integrity_check must say "ok" and the core tables must exist.
check_db() {
	local file="$1" out
	out="$(sqlite3 -bail "file:$file?mode=ro" "PRAGMA integrity_check;" 2>&1)" || { printf '%s' "$out"; return 1; }
	[ "$out" = ok ] || { printf 'integrity_check: %s' "$(printf '%s' "$out" | head -n 5)"; return 1; }
	out="$(sqlite3 -bail "file:$file?mode=ro" "SELECT count(*) FROM transmissions; SELECT count(*) FROM observations;" 2>&1)" ||
		{ printf 'not a CoreScope database: %s' "$out"; return 1; }
	printf '%s' "$out" | tr '\n' ' '
}

cmd_backup() {
	local dest="${1:-$ROOT/backups/corescope-$(timestamp)}" tmp out size total pid
	[ -f "$DB_FILE" ] || die "no database at $DB_FILE"
	mkdir -p "$dest" || die "cannot create $dest"
	dest="$(cd "$dest" && pwd)"
	out="$dest/meshcore.db"
	[ ! -e "$out" ] || die "$out already exists; pick an empty directory"
	tmp="$dest/.meshcore.db.partial"
	rm -f "$tmp"
	total=$(($(file_size "$DB_FILE") + $(file_size "$DB_FILE-wal")))
	info "backing up $DB_FILE ($(human_mb "$total") incl. WAL) to $out"
	# VACUUM INTO reads one consistent snapshot inside a read transaction, so
	# the ingestor keeps writing meanwhile; a plain cp of a WAL database can
	# miss committed pages or catch a half-written one.
	if sqlite_on_host; then
		sqlite3 -bail "$DB_FILE" ".timeout 30000" "VACUUM INTO '$(sql_escape "$tmp")'" >"$dest/.backup.log" 2>&1 &
	elif [ "$(mode)" = docker ] && docker_running; then
		# The container sees the data dir as /app/data; write there, move after.
		tmp="$DATA_DIR/.backup-$$.db"
		docker exec "$CONTAINER" sqlite3 -bail /app/data/meshcore.db ".timeout 30000" \
			"VACUUM INTO '/app/data/.backup-$$.db'" >"$dest/.backup.log" 2>&1 &
	else
		die "backup needs sqlite3 (apt-get install sqlite3) or the running container"
	fi
	pid=$!
	while kill -0 "$pid" 2>/dev/null; do
		size="$(file_size "$tmp")"
		if [ -t 1 ]; then
			printf '\r    written %s of about %s' "$(human_mb "$size")" "$(human_mb "$total")"
		elif [ "$size" -gt 0 ]; then
			printf '    written %s of about %s\n' "$(human_mb "$size")" "$(human_mb "$total")"
		fi
		sleep 1
	done
	if ! wait "$pid" || [ ! -s "$tmp" ]; then
		printf '\n'
		rm -f "$tmp"
		die "backup failed: $(cat "$dest/.backup.log" 2>/dev/null)"
	fi
	printf '\r    written %s%-30s\n' "$(human_mb "$(file_size "$tmp")")" ""
	mv "$tmp" "$out"
	rm -f "$dest/.backup.log"
	local counts f
	if sqlite_on_host; then
		counts="$(check_db "$out")" || die "the backup failed its check ($counts); the live database is untouched"
		info "verified: integrity ok, transmissions/observations: $counts"
	else
		warn "sqlite3 not on the host: backup not verified (install sqlite3)"
	fi
	for f in config.json .env theme.json; do
		[ -f "$DATA_DIR/$f" ] && cp -p "$DATA_DIR/$f" "$dest/$f"
	done
	[ -f "$ROOT/caddy/Caddyfile" ] && cp -p "$ROOT/caddy/Caddyfile" "$dest/Caddyfile"
	info "backup complete: $dest ($(human_mb "$(file_size "$out")"))"
}

cmd_restore() {
	local src="" arg
	for arg in "$@"; do
		case "$arg" in -y | --yes) ASSUME_YES=1 ;; -*) die "restore: unknown option $arg" ;; *) src="$arg" ;; esac
	done
	[ -n "$src" ] || die "usage: ./manage.sh restore <backup dir | file.db> [--yes]"
	local db="$src" cfg=""
	if [ -d "$src" ]; then
		db="$src/meshcore.db"
		[ -f "$src/config.json" ] && cfg="$src/config.json"
	fi
	[ -f "$db" ] || die "restore: no database file at $db"
	have sqlite3 || die "restore needs sqlite3 to validate the file first (apt-get install sqlite3)"
	local counts
	counts="$(check_db "$db")" || die "restore: $db is not a usable database ($counts); nothing changed"
	info "$db is valid (transmissions/observations: $counts)"
	confirm "Replace $DB_FILE with $db? The current database is kept as meshcore.db.pre-restore-*" || die "restore cancelled"

	local was_running="" ts
	ts="$(timestamp)"
	if [ "$(mode)" = docker ]; then docker_running && was_running=1; else native_running && was_running=1; fi
	[ -z "$was_running" ] || cmd_stop
	mkdir -p "$DATA_DIR"
	local ext
	for ext in "" -wal -shm; do
		# Keep the old set together: SQLite pairs "<name>-wal" with "<name>".
		[ -e "$DB_FILE$ext" ] && mv "$DB_FILE$ext" "$DATA_DIR/meshcore.db.pre-restore-$ts$ext"
	done
	[ -e "$DATA_DIR/meshcore.db.pre-restore-$ts" ] && info "previous database kept as $DATA_DIR/meshcore.db.pre-restore-$ts"
	cp "$db" "$DB_FILE.restoring"
	mv "$DB_FILE.restoring" "$DB_FILE"
	if [ -n "$cfg" ]; then
		[ -f "$DATA_DIR/config.json" ] && cp -p "$DATA_DIR/config.json" "$DATA_DIR/config.json.pre-restore-$ts"
		cp "$cfg" "$DATA_DIR/config.json"
		info "config.json restored too (previous one kept as config.json.pre-restore-$ts)"
	fi
	info "restored $DB_FILE"
	[ -z "$was_running" ] || cmd_start
}

# ---------------------------------------------------------------------------
# update / mqtt-test
# ---------------------------------------------------------------------------
cmd_update() {
	have git || die "update needs git"
	[ -z "$(git status --porcelain --untracked-files=no)" ] || die "update: the checkout has local changes; commit or revert them first"
	local before
	before="$(git rev-parse --short HEAD)"
	info "updating the checkout ($before)"
	git pull --ff-only || die "update: git pull failed (a diverged branch needs a manual merge)"
	info "now at $(git rev-parse --short HEAD)"
	if [ "$(mode)" = docker ]; then
		docker_build
		docker_running && cmd_restart
	else
		cmd_build
		native_running && cmd_restart
	fi
	info "update complete"
}

cmd_mqtt_test() {
	local secs=15 broker="" user="${MQTT_USERNAME:-}" pass="${MQTT_PASSWORD:-}"
	while [ $# -gt 0 ]; do
		case "$1" in
			--seconds) secs="${2:?--seconds needs a value}" && shift ;;
			--broker) broker="${2:?--broker needs a URL}" && shift ;;
			-u | --username) user="${2:?}" && shift ;;
			-P | --password) pass="${2:?}" && shift ;;
			*) die "mqtt-test: unknown option $1 (--seconds N --broker URL -u USER -P PASS)" ;;
		esac
		shift
	done
	load_env "$DATA_DIR/.env"
	user="${user:-${MQTT_USERNAME:-}}" pass="${pass:-${MQTT_PASSWORD:-}}"
	local before after out="" sub=()
	before="$(json_field "$(HTTP_TIMEOUT=3 http_get "$(base_url)/api/stats" 2>/dev/null || true)" totalObservations)"
	if [ -z "$broker" ] && [ -f "$DATA_DIR/config.json" ]; then
		local cfg embedded
		cfg="$(cat "$DATA_DIR/config.json")"
		broker="$(json_field "$cfg" broker || true)"
		embedded="$(json_field "$cfg" embeddedBroker || true)"
		# The ingestor's embedded broker when no source is configured.
		[ -n "$broker" ] || [ -z "$embedded" ] || broker="mqtt://${embedded/#0.0.0.0:/127.0.0.1:}"
	fi
	[ -n "$broker" ] || broker="mqtt://127.0.0.1:1883"
	local hostport host port
	hostport="${broker#*://}"
	hostport="${hostport%%/*}"
	hostport="${hostport##*@}"
	host="${hostport%%:*}"
	port=1883
	[ "${hostport##*:}" = "$hostport" ] || port="${hostport##*:}"
	case "$broker" in
		mqtts://* | ssl://* | wss://* | ws://*)
			warn "mosquitto_sub check skipped for $broker (TLS/WebSocket); watching the ingestor only"
			;;
		*)
			if [ "$(mode)" = docker ] && docker_running && { [ "$host" = 127.0.0.1 ] || [ "$host" = localhost ]; }; then
				# A local broker address in config.json means the container's own Mosquitto.
				sub=(docker exec "$CONTAINER" mosquitto_sub -h 127.0.0.1 -p "$port")
			elif have mosquitto_sub; then
				sub=(mosquitto_sub -h "$host" -p "$port")
			fi
			;;
	esac
	if [ ${#sub[@]} -gt 0 ]; then
		[ -z "$user" ] || sub+=(-u "$user" -P "$pass")
		info "listening on ${broker:-the internal broker} for meshcore/# (${secs} s)"
		out="$("${sub[@]}" -t 'meshcore/#' -v -W "$secs" 2>/dev/null || true)"
		local n observers packets
		n="$(printf '%s' "$out" | grep -c '^meshcore/' || true)"
		packets="$(printf '%s' "$out" | grep -c '^meshcore/[^ ]*/packets ' || true)"
		observers="$(printf '%s' "$out" | awk -F'[/ ]' '/^meshcore\/[^\/]+\/[^\/]+\//{print $3}' | sort -u | grep -c . || true)"
		if [ "$n" -gt 0 ]; then
			info "observer data is flowing: $n messages ($packets packets) from $observers observers in $secs s"
			local firstline="${out%%$'\n'*}"
			printf '    e.g. %s\n' "${firstline:0:200}"
		else
			warn "no MQTT message in $secs s: no observer is publishing to this broker, or the login/topic is wrong"
		fi
	else
		info "mosquitto_sub not available (apt-get install mosquitto-clients); watching the ingestor for $secs s"
		sleep "$secs"
	fi
	local stats
	if [ "$(mode)" = docker ]; then
		stats="$(docker exec "$CONTAINER" cat /run/corescope/ingestor-stats.json 2>/dev/null || true)"
	else
		stats="$(cat "$RUN_DIR/ingestor-stats.json" 2>/dev/null || true)"
	fi
	if [ -n "$stats" ]; then
		info "ingestor's MQTT sources (messages = received since it started):"
		print_sources "$stats"
	fi
	after="$(json_field "$(HTTP_TIMEOUT=3 http_get "$(base_url)/api/stats" 2>/dev/null || true)" totalObservations)"
	if [ -n "$before" ] && [ -n "$after" ]; then
		info "CoreScope stored $((after - before)) new observations meanwhile (total $after)"
	else
		warn "CoreScope does not answer at $(base_url); is it running? (./manage.sh status)"
	fi
}

# ---------------------------------------------------------------------------
# setup, demo and test-image live in their own files, sourced so they share
# the helpers above (cmd_setup, cmd_demo, cmd_test_image).
# ---------------------------------------------------------------------------
# shellcheck source=docker/manage-setup.sh
. "$ROOT/docker/manage-setup.sh"
# shellcheck source=docker/manage-demo.sh
. "$ROOT/docker/manage-demo.sh"
# shellcheck source=docker/manage-test-image.sh
. "$ROOT/docker/manage-test-image.sh"

cmd_help() {
	cat <<'USAGE'
Usage: ./manage.sh <command> [args]

Runs CoreScope in Docker when a Docker engine answers, else the native binaries
(CORESCOPE_MODE=docker|native forces one). Settings: ./.env and <data dir>/.env.

Commands:
  setup [--non-interactive] [options]
              wizard: data dir, domain/HTTPS, ports, MQTT sources and login, API key.
              Options for scripts: --data-dir DIR --mode docker|native --domain NAME
              --http-port N --https-port N --mqtt-port N --no-internal-broker
              --mqtt-user U --mqtt-password P --mqtt-source [NAME=]mqtt://[user:pass@]host:port
              (repeatable) --api-key KEY --force (rewrite an existing config.json)
              --mqtt-anonymous (built-in broker without logins; default: logins for the
              ingestor and one observer, MQTT_OBSERVER_LOGINS in <data>/.env)
  start       start CoreScope (builds the image or the binaries when missing)
  stop        stop it (the ingestor commits and checkpoints before exiting)
  restart     stop + start (Docker: recreates the container, so new images/ports apply)
  status      health, packet/node/observer counts, database size, per-source MQTT state
  logs [SERVICE] [N]
              follow the logs (SERVICE: ingestor, server, mosquitto, caddy; default all)
  backup [DIR]
              consistent online copy of the database (SQLite VACUUM INTO, the ingestor keeps
              running), verified with PRAGMA integrity_check, plus config.json/.env/theme.json;
              default DIR: ./backups/corescope-<UTC time>
  restore DIR|FILE.db [--yes]
              validate a backup, stop, swap it in (the old database is kept as
              meshcore.db.pre-restore-<time>), start again if it was running
  update      git pull --ff-only, rebuild, restart if running
  mqtt-test [--seconds N] [--broker URL] [-u USER -P PASS]
              show whether observer data is flowing (MQTT messages, observers, new rows)
  demo        build and run a simulated live mesh on http://localhost:3000 (Ctrl+C stops it)
              env: DEMO_HTTP_PORT DEMO_MQTT_PORT DEMO_DIR DEMO_RATE (msgs/s) DEMO_HISTORY_HOURS
              DEMO_HISTORY_TRANSMISSIONS DEMO_SEED CORESCOPE_SKIP_BUILD=1 (use existing binaries)
  build       build bin/corescope-{server,ingestor,meshsim} (CGO_ENABLED=0; same as the image)
  test        install test dependencies (apt, npm) when missing and run every test
  test-image  with Docker: build the image, run it, wait for its healthcheck, publish a packet
              to its Mosquitto and see it on the WebSocket and in the API, clean up
              (not part of `test`: CI has no Docker engine)
  help        show this help

Environment: CORESCOPE_DATA_DIR (default ./data), CORESCOPE_HTTP_PORT, CORESCOPE_BIN_DIR,
CORESCOPE_CONTAINER, CORESCOPE_IMAGE, CORESCOPE_ASSUME_YES=1 (answer yes to confirmations).
USAGE
}

main() {
	local cmd="${1:-help}"
	shift || true
	case "${1:-}" in -h | --help) cmd="help" ;; esac
	case "$cmd" in
		setup) cmd_setup "$@" ;;
		start) cmd_start "$@" ;;
		stop) cmd_stop "$@" ;;
		restart) cmd_restart "$@" ;;
		status) cmd_status "$@" ;;
		logs) cmd_logs "$@" ;;
		backup) cmd_backup "$@" ;;
		restore) cmd_restore "$@" ;;
		update) cmd_update "$@" ;;
		mqtt-test) cmd_mqtt_test "$@" ;;
		demo) cmd_demo "$@" ;;
		build) cmd_build "$@" ;;
		test) cmd_test "$@" ;;
		test-image) cmd_test_image "$@" ;;
		help | -h | --help) cmd_help ;;
		*) cmd_help >&2; die "unknown command: $cmd" ;;
	esac
}

main "$@"
