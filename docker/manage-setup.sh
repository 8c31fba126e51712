# shellcheck shell=bash
# Sourced by manage.sh (never run on its own): the `setup` wizard.
# It uses manage.sh's helpers and settings (ROOT, DATA_DIR, BIN_DIR, info, die, ...).
# shellcheck disable=SC2154 # those settings are assigned in manage.sh

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
	local anonymous=n observer_logins=""
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
			--mqtt-anonymous) anonymous=y ;;
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
	# shellcheck disable=SC2034 # read by mode() in manage.sh
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
			# Logins by default: a broker anyone can publish into is the first
			# thing a misbehaving bridge floods. Anonymous only when chosen.
			if [ "$anonymous" = n ] && ask_yes "Require a login to publish to it (recommended)?" y; then
				ask mqtt_user "Login name of CoreScope's own ingestor" "${mqtt_user:-corescope}"
				if [ -z "$mqtt_pass" ]; then
					if [ -n "$INTERACTIVE" ]; then read -r -s -p "Its password (empty = generate one): " mqtt_pass && echo; fi
					[ -n "$mqtt_pass" ] || mqtt_pass="$(random_key | cut -c1-20)"
				fi
				observer_logins="observer1:$(random_key | cut -c1-20)"
				info "observer login for your first bridge: ${observer_logins%%:*} / ${observer_logins#*:} (more: README, Protecting a public broker)"
			else
				anonymous=y mqtt_user="" mqtt_pass=""
				warn "the built-in broker will accept anonymous publishing; ./manage.sh status reminds you"
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
			"MQTT_USERNAME=$mqtt_user" "MQTT_PASSWORD=$mqtt_pass" "MQTT_OBSERVER_LOGINS=$observer_logins"
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
