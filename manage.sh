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

docker_build() {
	info "building image $IMAGE"
	docker build -t "$IMAGE" \
		--build-arg APP_VERSION="$(git describe --tags --always 2>/dev/null || echo unknown)" \
		--build-arg GIT_COMMIT="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)" \
		--build-arg BUILD_TIME="$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$ROOT"
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
	unformatted="$(gofmt -l cmd internal proto 2>/dev/null || true)"
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
	if [ -n "$stats" ]; then
		printf 'mqtt sources (ingestor stats at %s):\n' "$(json_field "$stats" sampledAt)"
		print_sources "$stats"
	else
		printf 'mqtt sources: unknown (no ingestor stats file; is the ingestor running?)\n'
	fi
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
# setup: interactive wizard, or --non-interactive with flags (for scripts).
# ---------------------------------------------------------------------------
json_str() {
	local s="$1"
	s="${s//\\/\\\\}"
	s="${s//\"/\\\"}"
	printf '"%s"' "$s"
}

random_key() { od -An -N24 -tx1 /dev/urandom | tr -d ' \n'; }

ask() { # ask VAR "question" default
	local __var="$1" __q="$2" __def="${3:-}" __ans
	if [ -n "$INTERACTIVE" ]; then
		read -r -p "$__q${__def:+ [$__def]}: " __ans || true
		printf -v "$__var" '%s' "${__ans:-$__def}"
	else
		printf -v "$__var" '%s' "$__def"
	fi
}

ask_yes() { # ask_yes "question" default(y|n)
	local ans
	[ -n "$INTERACTIVE" ] || { [ "$2" = y ]; return; }
	read -r -p "$1 [$([ "$2" = y ] && echo Y/n || echo y/N)]: " ans || true
	ans="${ans:-$2}"
	case "$ans" in y | Y | yes | YES) return 0 ;; *) return 1 ;; esac
}

# source_json [NAME=]URL: a mqttSources entry; user:password@ in the URL
# become the username/password keys (never left inside the URL).
source_json() {
	local spec="$1" name url user="" pass="" rest
	if [[ "$spec" =~ ^([A-Za-z0-9_.-]+)=(.*)$ ]]; then name="${BASH_REMATCH[1]}" url="${BASH_REMATCH[2]}"; else name="" url="$spec"; fi
	[[ "$url" =~ ^(mqtt|mqtts|tcp|ssl|ws|wss)://[^/]+ ]] || die "setup: MQTT source '$url' is not a broker URL (mqtt://host:1883, mqtts://host:8883, wss://host/mqtt)"
	rest="${url#*://}"
	if [[ "${rest%%/*}" == *@* ]]; then
		local userinfo="${rest%%@*}"
		user="${userinfo%%:*}"
		[[ "$userinfo" == *:* ]] && pass="${userinfo#*:}"
		url="${url%%://*}://${rest#*@}"
	fi
	[ -n "$name" ] || { name="${url#*://}" && name="${name%%[:/]*}"; }
	printf '{"name": %s, "broker": %s, "topics": ["meshcore/#"]' "$(json_str "$name")" "$(json_str "$url")"
	[ -z "$user" ] || printf ', "username": %s, "password": %s' "$(json_str "$user")" "$(json_str "$pass")"
	printf '}'
}

# set_env_keys FILE KEY=VALUE...: replace those keys, keep every other line.
set_env_keys() {
	local file="$1" tmp kv
	shift
	tmp="$(mktemp "$file.XXXXXX")"
	if [ -f "$file" ]; then
		local pattern
		pattern="^($(for kv in "$@"; do printf '%s|' "${kv%%=*}"; done | sed 's/|$//'))="
		grep -Ev "$pattern" "$file" >"$tmp" || true
	else
		printf '# CoreScope settings, written by ./manage.sh setup\n' >"$tmp"
	fi
	for kv in "$@"; do printf '%s\n' "$kv" >>"$tmp"; done
	chmod 600 "$tmp"
	mv "$tmp" "$file"
}

validate_json() {
	if have jq; then jq empty "$1" 2>&1; elif have python3; then python3 -m json.tool "$1" >/dev/null; elif have node; then node -e 'JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"))' "$1"; fi
}

cmd_setup() {
	INTERACTIVE=""
	[ -t 0 ] && INTERACTIVE=1
	local data="" setup_mode="" domain="" http="" https="" mport="" internal=y mqtt_user="" mqtt_pass="" api_key="" force="" sources=()
	while [ $# -gt 0 ]; do
		case "$1" in
			-n | --non-interactive) INTERACTIVE="" ;;
			--data-dir) data="${2:?--data-dir needs a path}" && shift ;;
			--mode) setup_mode="${2:?--mode needs docker or native}" && shift ;;
			--domain) domain="${2?}" && shift ;;
			--http-port) http="${2:?}" && shift ;;
			--https-port) https="${2:?}" && shift ;;
			--mqtt-port) mport="${2:?}" && shift ;;
			--no-internal-broker) internal=n ;;
			--mqtt-user) mqtt_user="${2:?}" && shift ;;
			--mqtt-password) mqtt_pass="${2:?}" && shift ;;
			--mqtt-source) sources+=("${2:?--mqtt-source needs [NAME=]URL}") && shift ;;
			--api-key) api_key="${2:?}" && shift ;;
			--force) force=1 ;;
			*) die "setup: unknown option $1 (see ./manage.sh help)" ;;
		esac
		shift
	done
	info "CoreScope setup${INTERACTIVE:+ (press Enter to accept the [default])}"

	[ -n "$setup_mode" ] || setup_mode="$(mode)"
	case "$setup_mode" in docker | native) ;; *) die "setup: --mode must be docker or native" ;; esac
	MODE="$setup_mode"
	if [ "$setup_mode" = docker ]; then
		info "Docker mode: CoreScope will run as the $IMAGE container (Mosquitto, Caddy, ingestor, server)"
	else
		info "native mode: CoreScope will run the binaries from $BIN_DIR (no Docker engine, or --mode native)"
	fi

	ask data "Data directory (database, config.json, backups of settings)" "${data:-$DATA_DIR}"
	data="${data/#\~/$HOME}"
	mkdir -p "$data" || die "setup: cannot create $data"
	data="$(cd "$data" && pwd)"

	if [ "$setup_mode" = docker ]; then
		ask domain "Domain name for HTTPS (empty = plain HTTP, e.g. behind your own proxy)" "$domain"
		ask http "Host port for HTTP" "${http:-${CORESCOPE_HTTP_PORT:-80}}"
		ask https "Host port for HTTPS" "${https:-${CORESCOPE_HTTPS_PORT:-443}}"
	else
		[ -z "$domain" ] || warn "native mode serves plain HTTP; for HTTPS run e.g.: caddy reverse-proxy --from $domain --to localhost:${http:-3000}"
		domain=""
		ask http "Port for the web UI and API" "${http:-${CORESCOPE_HTTP_PORT:-3000}}"
	fi
	local p
	for p in "$http" ${https:+"$https"}; do
		if ! [[ "$p" =~ ^[0-9]+$ ]] || [ "$p" -lt 1 ] || [ "$p" -gt 65535 ]; then die "setup: '$p' is not a port number"; fi
	done
	port_busy "$http" && warn "port $http is in use right now; start will fail unless that is an old CoreScope"

	if ask_yes "Run the built-in MQTT broker for your observers to publish to?" "$internal"; then
		internal=y
		ask mport "Its port" "${mport:-${CORESCOPE_MQTT_PORT:-1883}}"
		if [ "$setup_mode" = docker ]; then
			ask mqtt_user "Broker login name (empty = anonymous; set one before exposing it to the internet)" "$mqtt_user"
			if [ -n "$mqtt_user" ] && [ -z "$mqtt_pass" ]; then
				if [ -n "$INTERACTIVE" ]; then read -r -s -p "Broker password (empty = generate one): " mqtt_pass && echo; fi
				[ -n "$mqtt_pass" ] || mqtt_pass="$(random_key | cut -c1-20)" && info "generated broker password: $mqtt_pass"
			fi
		fi
	else
		internal=n
	fi
	if [ -n "$INTERACTIVE" ]; then
		local url
		while :; do
			read -r -p "Add an MQTT broker to read from, as [name=]mqtt://user:pass@host:1883 (empty = done): " url || true
			[ -n "$url" ] || break
			source_json "$url" >/dev/null && sources+=("$url")
		done
	fi
	[ "$internal" = y ] || [ ${#sources[@]} -gt 0 ] || die "setup: no MQTT source at all — enable the built-in broker or give --mqtt-source"

	if [ -z "$api_key" ]; then api_key="$(random_key)"; fi
	[ ${#api_key} -ge 16 ] || die "setup: the API key must be at least 16 characters (omit --api-key to generate one)"

	# Host settings for manage.sh.
	set_env_keys "$ROOT/.env" "CORESCOPE_MODE=$setup_mode" "CORESCOPE_DATA_DIR=$data" "CORESCOPE_HTTP_PORT=$http" \
		${https:+"CORESCOPE_HTTPS_PORT=$https"} ${mport:+"CORESCOPE_MQTT_PORT=$mport"}
	# Settings the container's entrypoint reads from the data volume.
	if [ "$setup_mode" = docker ]; then
		set_env_keys "$data/.env" "CORESCOPE_DOMAIN=$domain" "DISABLE_MOSQUITTO=$([ "$internal" = y ] && echo false || echo true)" \
			"MQTT_USERNAME=$mqtt_user" "MQTT_PASSWORD=$mqtt_pass"
	fi

	local cfg="$data/config.json"
	if [ -f "$cfg" ] && [ -z "$force" ]; then
		info "keeping the existing $cfg (pass --force to write a new one; the old is then kept as config.json.bak-*)"
	else
		[ -f "$cfg" ] && cp -p "$cfg" "$cfg.bak-$(timestamp)"
		local entries=() embedded="" s
		if [ "$internal" = y ]; then
			if [ "$setup_mode" = docker ]; then
				local cred=""
				[ -z "$mqtt_user" ] || cred="$mqtt_user:$mqtt_pass@"
				entries+=("$(source_json "local=mqtt://${cred}127.0.0.1:1883")")
			else
				embedded="0.0.0.0:$mport"
				entries+=("$(source_json "local=mqtt://127.0.0.1:$mport")")
			fi
		fi
		for s in "${sources[@]}"; do entries+=("$(source_json "$s")"); done
		local dbpath="$data/meshcore.db"
		[ "$setup_mode" = docker ] && dbpath=/app/data/meshcore.db
		{
			printf '{\n  "_comment": "Written by ./manage.sh setup. Every key: config.example.json and the README.",\n'
			printf '  "dbPath": %s,\n  "apiKey": %s,\n' "$(json_str "$dbpath")" "$(json_str "$api_key")"
			[ -z "$embedded" ] || printf '  "embeddedBroker": %s,\n' "$(json_str "$embedded")"
			printf '  "mqttSources": [\n    %s\n  ],\n' "$(IFS=$'\x1f' && printf '%s' "${entries[*]}" | sed $'s/\x1f/,\\\n    /g')"
			printf '  "retention": {"nodeDays": 7, "observerDays": 14, "metricsDays": 30, "packetDays": 0}\n}\n'
		} >"$cfg.tmp"
		chmod 600 "$cfg.tmp"
		local err
		err="$(validate_json "$cfg.tmp")" || die "setup: wrote invalid JSON ($err); please report this"
		mv "$cfg.tmp" "$cfg"
		info "wrote $cfg (API key: $api_key — keep it secret)"
	fi
	if grep -Eq 'your-username|your-password|your-secret|example\.com|changeme' "$cfg"; then
		warn "$cfg still contains placeholder values (your-username, example.com, changeme, ...); edit them"
	fi
	if [ "$internal" = y ] && [ "$setup_mode" = native ]; then
		warn "the built-in broker accepts anonymous clients on port $mport; firewall it or publish only on a trusted network"
	fi
	info "setup done. Next: ./manage.sh start   (then ./manage.sh status, ./manage.sh mqtt-test)"
}

# ---------------------------------------------------------------------------
# demo: build, then ingestor (embedded broker) + server + meshsim, in the
# foreground; Ctrl+C stops all three.
# ---------------------------------------------------------------------------
DEMO_PIDS=()
demo_cleanup() {
	local rc="${1:-$?}" pid i
	trap - INT TERM EXIT
	[ ${#DEMO_PIDS[@]} -gt 0 ] || exit "$rc"
	printf '\n'
	info "stopping the demo"
	for pid in "${DEMO_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
	for ((i = 0; i < 80; i++)); do
		local alive=0
		for pid in "${DEMO_PIDS[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
		[ "$alive" = 0 ] && break
		sleep 0.25
	done
	for pid in "${DEMO_PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
	wait 2>/dev/null || true
	info "demo stopped (its data stays in $DEMO_DATA until the next demo)"
	exit "$rc"
}

cmd_demo() {
	local http="${DEMO_HTTP_PORT:-3000}" mqtt="${DEMO_MQTT_PORT:-1883}" hours="${DEMO_HISTORY_HOURS:-3}"
	local history="${DEMO_HISTORY_TRANSMISSIONS:-3000}" rate="${DEMO_RATE:-8}" seed="${DEMO_SEED:-1}"
	DEMO_DATA="${DEMO_DIR:-$ROOT/data/demo}"
	have go || die "demo: Go 1.26 is required (https://go.dev/dl)"
	port_busy "$http" && die "demo: port $http is in use; pick another with DEMO_HTTP_PORT=3001 ./manage.sh demo"
	port_busy "$mqtt" && die "demo: port $mqtt is in use (a Mosquitto?); pick another with DEMO_MQTT_PORT=1884 ./manage.sh demo"
	# CORESCOPE_SKIP_BUILD=1 runs the binaries already in CORESCOPE_BIN_DIR
	# (the tests build them once with the same command).
	if is_true "${CORESCOPE_SKIP_BUILD:-}"; then ensure_binaries; else cmd_build; fi
	[ -x "$BIN_DIR/corescope-meshsim" ] || cmd_build
	rm -rf "$DEMO_DATA"
	mkdir -p "$DEMO_DATA"
	cat >"$DEMO_DATA/config.json" <<JSON
{
  "_comment": "Written by ./manage.sh demo: a throw-away mesh simulated by meshsim.",
  "dbPath": $(json_str "$DEMO_DATA/meshcore.db"),
  "embeddedBroker": "127.0.0.1:$mqtt",
  "hashChannels": ["#test", "#emergency", "#weather", "#hiking", "#wardriving"],
  "hashRegions": ["#sea", "#pdx"],
  "apiKey": "$(random_key)"
}
JSON
	local broker="tcp://127.0.0.1:$mqtt"
	# Ctrl+C is the normal way to end the demo: exit 0. An error exit keeps
	# its status.
	trap 'demo_cleanup 0' INT TERM
	trap demo_cleanup EXIT
	export DB_PATH="$DEMO_DATA/meshcore.db" CORESCOPE_INGESTOR_STATS="$DEMO_DATA/ingestor-stats.json"
	info "starting the ingestor with its embedded MQTT broker on 127.0.0.1:$mqtt"
	"$BIN_DIR/corescope-ingestor" -config "$DEMO_DATA/config.json" >"$DEMO_DATA/ingestor.log" 2>&1 &
	DEMO_PIDS+=($!)
	wait_for_port "$mqtt" 30 || die "demo: the ingestor did not open port $mqtt; see $DEMO_DATA/ingestor.log:
$(tail -n 20 "$DEMO_DATA/ingestor.log")"
	info "starting the server on http://localhost:$http"
	"$BIN_DIR/corescope-server" -config-dir "$DEMO_DATA" -db "$DEMO_DATA/meshcore.db" -port "$http" >"$DEMO_DATA/server.log" 2>&1 &
	DEMO_PIDS+=($!)
	info "seeding $hours h of history ($history transmissions from meshsim)"
	"$BIN_DIR/corescope-meshsim" generate --seed "$seed" --transmissions "$history" --hours "$hours" --out "$DEMO_DATA/history.jsonl" ||
		die "demo: meshsim generate failed"
	"$BIN_DIR/corescope-meshsim" publish --broker "$broker" --in "$DEMO_DATA/history.jsonl" >"$DEMO_DATA/meshsim-history.log" 2>&1 ||
		die "demo: publishing the history failed: $(tail -n 5 "$DEMO_DATA/meshsim-history.log")"
	wait_for_http "http://127.0.0.1:$http/api/stats" 60 || die "demo: the server did not answer; see $DEMO_DATA/server.log:
$(tail -n 20 "$DEMO_DATA/server.log")"
	info "live traffic: meshsim publishing about $rate messages/s"
	"$BIN_DIR/corescope-meshsim" publish --broker "$broker" --seed "$seed" --rate "$rate" >"$DEMO_DATA/meshsim.log" 2>&1 &
	DEMO_PIDS+=($!)
	info "CoreScope demo is running: open http://localhost:$http/   (Ctrl+C stops it; logs in $DEMO_DATA)"
	# wait returns when a child exits or a trapped signal arrives.
	while :; do
		wait -n "${DEMO_PIDS[@]}" 2>/dev/null || true
		local pid
		for pid in "${DEMO_PIDS[@]}"; do
			kill -0 "$pid" 2>/dev/null || { warn "a demo process ($pid) exited; see the logs in $DEMO_DATA" && demo_cleanup 1; }
		done
	done
}

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
		help | -h | --help) cmd_help ;;
		*) cmd_help >&2; die "unknown command: $cmd" ;;
	esac
}

main "$@"
