# shellcheck shell=bash
# Sourced by manage.sh (never run on its own): the `demo` command.
# It uses manage.sh's helpers and settings (ROOT, DATA_DIR, BIN_DIR, info, die, ...).
# shellcheck disable=SC2154 # those settings are assigned in manage.sh

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
	local http="${DEMO_HTTP_PORT:-3000}" mqtt="${DEMO_MQTT_PORT:-1883}" hours="${DEMO_HISTORY_HOURS:-24}"
	local history="${DEMO_HISTORY_TRANSMISSIONS:-20000}" rate="${DEMO_RATE:-4}" seed="${DEMO_SEED:-1}"
	DEMO_DATA="${DEMO_DIR:-$ROOT/data/demo}"
	# Every demo starts by deleting its directory: never one that holds
	# anything but an earlier demo (DEMO_DIR=$HOME must not wipe a home).
	if [ -n "$(ls -A "$DEMO_DATA" 2>/dev/null)" ] &&
		! grep -qs 'Written by ./manage.sh demo' "$DEMO_DATA/config.json"; then
		die "demo: $DEMO_DATA is not empty and not an earlier demo's directory; refusing to delete it (pick another DEMO_DIR)"
	fi
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
  "_comment_observerRateLimit": "Off: the history is replayed at full speed, far above a radio's rate.",
  "observerRateLimit": { "packetsPerSec": -1 },
  "apiKey": "$(random_key)"
}
JSON
	local broker="tcp://127.0.0.1:$mqtt"
	# Ctrl+C is the normal way to end the demo: exit 0. An error exit keeps
	# its status.
	trap 'demo_cleanup 0' INT TERM
	trap demo_cleanup EXIT
	export DB_PATH="$DEMO_DATA/meshcore.db" CORESCOPE_INGESTOR_STATS="$DEMO_DATA/ingestor-stats.json"
	# History: generated up to this second and imported with each message's
	# own time (`ingestor import`), so the 24 h charts, the live timeline
	# and the replay have a real past. Publishing it over MQTT instead would
	# stamp everything with the second it arrived.
	info "seeding $hours h of history ($history transmissions from meshsim, imported with their own times)"
	"$BIN_DIR/corescope-meshsim" generate --seed "$seed" --transmissions "$history" --hours "$hours" \
		--end "$(date -u +%Y-%m-%dT%H:%M:%SZ)" --out "$DEMO_DATA/history.jsonl" 2>"$DEMO_DATA/meshsim-history.log" ||
		die "demo: meshsim generate failed: $(tail -n 5 "$DEMO_DATA/meshsim-history.log")"
	"$BIN_DIR/corescope-ingestor" import -config "$DEMO_DATA/config.json" "$DEMO_DATA/history.jsonl" \
		>"$DEMO_DATA/import.log" 2>&1 || die "demo: importing the history failed: $(tail -n 5 "$DEMO_DATA/import.log")"
	rm -f "$DEMO_DATA/history.jsonl"
	info "starting the ingestor with its embedded MQTT broker on 127.0.0.1:$mqtt"
	"$BIN_DIR/corescope-ingestor" -config "$DEMO_DATA/config.json" >"$DEMO_DATA/ingestor.log" 2>&1 &
	DEMO_PIDS+=($!)
	wait_for_port "$mqtt" 30 || die "demo: the ingestor did not open port $mqtt; see $DEMO_DATA/ingestor.log:
$(tail -n 20 "$DEMO_DATA/ingestor.log")"
	info "starting the server on http://localhost:$http"
	"$BIN_DIR/corescope-server" -config-dir "$DEMO_DATA" -db "$DEMO_DATA/meshcore.db" -port "$http" >"$DEMO_DATA/server.log" 2>&1 &
	DEMO_PIDS+=($!)
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
