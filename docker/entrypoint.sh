#!/bin/bash
# entrypoint.sh — start CoreScope's four processes under supervisord.
#
# Container defaults are below; every path and port can be overridden through
# the environment, which is how internal/deploytest runs this same script
# natively with temp dirs and free ports. Run with --help for the variables.
set -euo pipefail

usage() {
	cat <<'USAGE'
Usage: entrypoint.sh            start mosquitto, ingestor, server and caddy under supervisord
       entrypoint.sh CMD ARGS   run CMD instead (e.g. corescope-ingestor decode HEX)
       entrypoint.sh --help     this text

Settings (environment, or KEY=value lines in <data dir>/.env):
  DISABLE_MOSQUITTO=true   do not run the internal broker (point mqttSources elsewhere)
  DISABLE_CADDY=true       do not run Caddy; the server itself listens on CORESCOPE_HTTP_PORT (80)
  CORESCOPE_DOMAIN=host    serve HTTPS for this name with an automatic certificate
  MQTT_USERNAME, MQTT_PASSWORD
                           require this login on the internal broker (no anonymous access);
                           a generated config.json uses it for the ingestor too
  MQTT_OBSERVER_LOGINS     "name:password name2:password2": one login per observer bridge on the
                           internal broker, next to MQTT_USERNAME (./manage.sh setup writes one)
  MOSQUITTO_PASSWORD_FILE  use this mosquitto_passwd file instead (no anonymous access)
  MOSQUITTO_CONF           use this mosquitto.conf unchanged instead of the built-in one
  CORESCOPE_CADDYFILE      Caddyfile to run (default /etc/caddy/Caddyfile; mount your own there)
Paths and ports (container defaults): CORESCOPE_APP=/app CORESCOPE_DATA=/app/data
  CORESCOPE_RUN=/run/corescope CORESCOPE_DOCKER=/app/docker CORESCOPE_USER=corescope
  CORESCOPE_HTTP_PORT=80 CORESCOPE_HTTPS_PORT=443 CORESCOPE_MQTT_PORT=1883
  CORESCOPE_MQTT_BIND= (all interfaces) CORESCOPE_SERVER_PORT=3000
USAGE
}

log() { printf 'entrypoint | %s\n' "$*"; }
fail() {
	printf 'entrypoint | error: %s\n' "$*" >&2
	exit 1
}

is_true() {
	case "${1:-}" in
		true | TRUE | True | 1 | yes | YES | on | ON) return 0 ;;
		*) return 1 ;;
	esac
}

# load_env FILE: export KEY=value lines from the data volume, so settings
# live next to the data whatever starts the container. The file is parsed,
# not sourced: a value is taken literally (one pair of surrounding quotes is
# removed), so a password with spaces, quotes or "$" stays a password. A
# variable already set in the environment (docker run -e) wins, as in
# manage.sh. CRLF line ends (a file edited on Windows) are tolerated.
load_env() {
	local file="$1" line key value
	[ -f "$file" ] || return 0
	log "loading settings from $file"
	while IFS= read -r line || [ -n "$line" ]; do
		line="${line%$'\r'}"
		case "$line" in '' | '#'* | [[:space:]]'#'*) continue ;; esac
		[[ "$line" == *=* ]] || continue
		key="${line%%=*}"
		value="${line#*=}"
		key="${key#export }"
		key="${key//[[:space:]]/}"
		[[ "$key" =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || continue
		if [[ "$value" =~ ^\"(.*)\"$ || "$value" =~ ^\'(.*)\'$ ]]; then
			value="${BASH_REMATCH[1]}"
		fi
		[ -n "${!key+x}" ] && continue
		printf -v "$key" '%s' "$value"
		export "${key?}"
	done <"$file"
}

random_hex() {
	od -An -N"$1" -tx1 /dev/urandom | tr -d ' \n'
}

# json_string VALUE: VALUE as a JSON string literal.
json_string() {
	local s="$1"
	s="${s//\\/\\\\}"
	s="${s//\"/\\\"}"
	printf '"%s"' "$s"
}

# write_default_config FILE: first-run config.json. The ingestor reads the
# internal broker (with the configured login, if any); the API key is random
# and strong so the admin endpoints work without shipping a known default.
write_default_config() {
	local file="$1" tmp sources creds=""
	if [ -n "${MQTT_USERNAME:-}" ]; then
		creds=", \"username\": $(json_string "$MQTT_USERNAME"), \"password\": $(json_string "${MQTT_PASSWORD:-}")"
	fi
	if is_true "${DISABLE_MOSQUITTO:-}"; then
		# No internal broker: MQTT_BROKER (env) or an edited config must name one.
		sources="[]"
	else
		sources="[{\"name\": \"local\", \"broker\": \"mqtt://127.0.0.1:${CORESCOPE_MQTT_PORT}\", \"topics\": [\"meshcore/#\"]${creds}}]"
	fi
	tmp="$(mktemp "${file}.XXXXXX")"
	cat >"$tmp" <<JSON
{
  "_comment": "Written by the CoreScope entrypoint on first start. All keys: config.example.json and the README.",
  "dbPath": $(json_string "$CORESCOPE_DATA/meshcore.db"),
  "apiKey": "$(random_hex 24)",
  "mqttSources": ${sources},
  "retention": {"nodeDays": 7, "observerDays": 14, "metricsDays": 30, "packetDays": 0}
}
JSON
	chmod 600 "$tmp"
	mv "$tmp" "$file"
}

# render TEMPLATE OUT: replace the @NAME@ tokens of a docker/ template.
render() {
	sed -e "s|@CORESCOPE_MQTT_PORT@|${CORESCOPE_MQTT_PORT}|g" \
		-e "s|@CORESCOPE_MQTT_BIND@|${CORESCOPE_MQTT_BIND}|g" \
		-e "s|@CORESCOPE_DATA@|${CORESCOPE_DATA}|g" \
		-e "s|@CORESCOPE_RUN@|${CORESCOPE_RUN}|g" \
		-e "s|@CORESCOPE_USER@|${CORESCOPE_USER}|g" \
		"$1" >"$2"
}

# add_observer_logins adds MQTT_OBSERVER_LOGINS ("name:password" pairs,
# separated by spaces; ./manage.sh setup writes one) to the password file, so
# each observer publishes with its own login and can be removed alone.
add_observer_logins() {
	local pair name
	for pair in ${MQTT_OBSERVER_LOGINS:-}; do
		name="${pair%%:*}"
		if [ -z "$name" ] || [ "$name" = "$pair" ] || [ -z "${pair#*:}" ]; then
			fail "MQTT_OBSERVER_LOGINS: '$name' is not name:password"
		fi
		mosquitto_passwd -b "$1" "$name" "${pair#*:}" >/dev/null 2>&1 || fail "mosquitto_passwd could not add observer login $name"
	done
}

# setup_mosquitto: the broker's config and its authentication. With a login
# configured, anonymous clients are refused.
setup_mosquitto() {
	local dir="$CORESCOPE_RUN/mosquitto.d" passwd
	mkdir -p "$dir" "$CORESCOPE_DATA/mosquitto"
	if [ -n "${MQTT_USERNAME:-}" ]; then
		[ -n "${MQTT_PASSWORD:-}" ] || fail "MQTT_USERNAME is set but MQTT_PASSWORD is empty"
		command -v mosquitto_passwd >/dev/null 2>&1 || fail "mosquitto_passwd not found (needed for MQTT_USERNAME)"
		passwd="$CORESCOPE_RUN/mosquitto.passwd"
		rm -f "$passwd"
		(umask 077 && touch "$passwd")
		mosquitto_passwd -b "$passwd" "$MQTT_USERNAME" "$MQTT_PASSWORD" >/dev/null 2>&1 ||
			fail "mosquitto_passwd could not write $passwd"
		add_observer_logins "$passwd"
		printf 'allow_anonymous false\npassword_file %s\n' "$passwd" >"$dir/auth.conf"
		log "mosquitto: login required (user $MQTT_USERNAME${MQTT_OBSERVER_LOGINS:+ and observer logins})"
	elif [ -n "${MOSQUITTO_PASSWORD_FILE:-}" ]; then
		[ -r "$MOSQUITTO_PASSWORD_FILE" ] || fail "MOSQUITTO_PASSWORD_FILE $MOSQUITTO_PASSWORD_FILE is not readable"
		printf 'allow_anonymous false\npassword_file %s\n' "$MOSQUITTO_PASSWORD_FILE" >"$dir/auth.conf"
		log "mosquitto: login required (password file $MOSQUITTO_PASSWORD_FILE)"
	else
		printf 'allow_anonymous true\n' >"$dir/auth.conf"
		log "mosquitto: anonymous access (set MQTT_USERNAME/MQTT_PASSWORD before exposing port ${CORESCOPE_MQTT_PORT})"
	fi
	if [ -n "${MOSQUITTO_CONF:-}" ]; then
		[ -r "$MOSQUITTO_CONF" ] || fail "MOSQUITTO_CONF $MOSQUITTO_CONF is not readable"
		CORESCOPE_MOSQUITTO_CONF="$MOSQUITTO_CONF"
	else
		CORESCOPE_MOSQUITTO_CONF="$CORESCOPE_RUN/mosquitto.conf"
		render "$CORESCOPE_DOCKER/mosquitto.conf" "$CORESCOPE_MOSQUITTO_CONF"
	fi
}

main() {
	case "${1:-}" in
		-h | --help)
			usage
			return 0
			;;
		"") ;;
		*) exec "$@" ;;
	esac

	: "${CORESCOPE_DATA:=/app/data}"
	load_env "$CORESCOPE_DATA/.env"

	: "${CORESCOPE_APP:=/app}"
	: "${CORESCOPE_RUN:=/run/corescope}"
	: "${CORESCOPE_DOCKER:=/app/docker}"
	: "${CORESCOPE_CADDYFILE:=/etc/caddy/Caddyfile}"
	: "${CORESCOPE_HTTP_PORT:=80}"
	: "${CORESCOPE_HTTPS_PORT:=443}"
	: "${CORESCOPE_MQTT_PORT:=1883}"
	: "${CORESCOPE_MQTT_BIND:=}"
	: "${CORESCOPE_SERVER_PORT:=3000}"
	: "${CORESCOPE_SUPERVISORD_USER:=$(id -un)}"
	if [ -z "${CORESCOPE_USER:-}" ]; then
		# Programs run unprivileged when supervisord can switch users.
		if [ "$(id -u)" = 0 ] && id corescope >/dev/null 2>&1; then
			CORESCOPE_USER=corescope
		else
			CORESCOPE_USER="$(id -un)"
		fi
	fi
	: "${MOSQUITTO_BIN:=$(command -v mosquitto || echo /usr/sbin/mosquitto)}"
	: "${CADDY_BIN:=$(command -v caddy || echo /usr/bin/caddy)}"
	# Caddy keeps certificates in $XDG_DATA_HOME/caddy (the /data/caddy volume).
	: "${XDG_DATA_HOME:=/data}"
	: "${XDG_CONFIG_HOME:=$CORESCOPE_RUN/config}"
	# Stats file shared by ingestor and server: private, not world-writable /tmp.
	: "${CORESCOPE_INGESTOR_STATS:=$CORESCOPE_RUN/ingestor-stats.json}"
	# One database path for both programs (the server gets it as -db).
	: "${DB_PATH:=$CORESCOPE_DATA/meshcore.db}"

	for bin in "$CORESCOPE_APP/corescope-ingestor" "$CORESCOPE_APP/corescope-server"; do
		[ -x "$bin" ] || fail "$bin is missing or not executable (CORESCOPE_APP=$CORESCOPE_APP)"
	done
	mkdir -p "$CORESCOPE_DATA" "$CORESCOPE_RUN" "$XDG_CONFIG_HOME" ||
		fail "cannot create $CORESCOPE_DATA or $CORESCOPE_RUN"
	[ -w "$CORESCOPE_DATA" ] || fail "data directory $CORESCOPE_DATA is not writable"

	CORESCOPE_MOSQUITTO_ENABLED=true
	if is_true "${DISABLE_MOSQUITTO:-}"; then
		CORESCOPE_MOSQUITTO_ENABLED=false
		log "mosquitto disabled (DISABLE_MOSQUITTO): the ingestor must reach an external broker"
	fi
	CORESCOPE_CADDY_ENABLED=true
	if is_true "${DISABLE_CADDY:-}"; then
		CORESCOPE_CADDY_ENABLED=false
		# Without Caddy the server takes the HTTP port itself, so the usual
		# "-p 80:80" still reaches it (the original left port 80 dead).
		CORESCOPE_SERVER_PORT="$CORESCOPE_HTTP_PORT"
		log "caddy disabled (DISABLE_CADDY): the server listens on port $CORESCOPE_SERVER_PORT"
	fi
	if [ -n "${CORESCOPE_DOMAIN:-}" ]; then
		CORESCOPE_SITE_ADDRESS="$CORESCOPE_DOMAIN"
		log "caddy: HTTPS for $CORESCOPE_DOMAIN (ports $CORESCOPE_HTTP_PORT and $CORESCOPE_HTTPS_PORT)"
	else
		CORESCOPE_SITE_ADDRESS=":$CORESCOPE_HTTP_PORT"
	fi
	if [ "$CORESCOPE_CADDY_ENABLED" = true ] && [ ! -r "$CORESCOPE_CADDYFILE" ]; then
		fail "Caddyfile $CORESCOPE_CADDYFILE is not readable"
	fi

	local config="$CORESCOPE_DATA/config.json"
	if [ ! -e "$config" ]; then
		if [ -f "$CORESCOPE_APP/config.json" ]; then
			cp "$CORESCOPE_APP/config.json" "$config"
			log "copied $CORESCOPE_APP/config.json to $config (edit it there from now on)"
		else
			write_default_config "$config"
			log "created $config with defaults and a random API key"
		fi
	fi
	# The ingestor finds the rainbow key file next to its config; the image
	# ships one in the app directory.
	if [ -z "${CHANNEL_KEYS_PATH:-}" ] && [ ! -e "$CORESCOPE_DATA/channel-rainbow.json" ] &&
		[ -f "$CORESCOPE_APP/channel-rainbow.json" ]; then
		CHANNEL_KEYS_PATH="$CORESCOPE_APP/channel-rainbow.json"
		export CHANNEL_KEYS_PATH
	fi

	setup_mosquitto

	if [ "$(id -u)" = 0 ] && [ "$CORESCOPE_USER" != root ]; then
		# A bind-mounted volume keeps the host's owners; hand what the
		# programs write to their user (only entries that need it).
		local owner
		owner="$CORESCOPE_USER:$(id -gn "$CORESCOPE_USER")"
		find "$CORESCOPE_DATA" "$CORESCOPE_RUN" -xdev ! -user "$CORESCOPE_USER" \
			-exec chown "$owner" {} + 2>/dev/null || true
		if [ -d "$XDG_DATA_HOME" ]; then
			find "$XDG_DATA_HOME" -xdev ! -user "$CORESCOPE_USER" -exec chown "$owner" {} + 2>/dev/null || true
		fi
	fi

	printf 'http://127.0.0.1:%s\n' "$CORESCOPE_SERVER_PORT" >"$CORESCOPE_RUN/server-url"

	export CORESCOPE_APP CORESCOPE_DATA CORESCOPE_RUN CORESCOPE_DOCKER CORESCOPE_CADDYFILE \
		CORESCOPE_HTTP_PORT CORESCOPE_HTTPS_PORT CORESCOPE_MQTT_PORT CORESCOPE_MQTT_BIND \
		CORESCOPE_SERVER_PORT CORESCOPE_SITE_ADDRESS CORESCOPE_USER CORESCOPE_SUPERVISORD_USER \
		CORESCOPE_MOSQUITTO_ENABLED CORESCOPE_CADDY_ENABLED CORESCOPE_MOSQUITTO_CONF \
		MOSQUITTO_BIN CADDY_BIN XDG_DATA_HOME XDG_CONFIG_HOME CORESCOPE_INGESTOR_STATS DB_PATH
	log "data $CORESCOPE_DATA, server port $CORESCOPE_SERVER_PORT, programs run as $CORESCOPE_USER"
	exec supervisord -c "$CORESCOPE_DOCKER/supervisord.conf"
}

main "$@"
