#!/usr/bin/env bash
# manage.sh — the CoreScope operator's CLI. Run `./manage.sh help` for the commands.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$ROOT"

die() { printf 'manage.sh: %s\n' "$*" >&2; exit 1; }
info() { printf '==> %s\n' "$*"; }

# ---------------------------------------------------------------------------
# test: install what the tests need (when missing), then run every test.
# .ci/run calls exactly this.
# ---------------------------------------------------------------------------
TEST_APT_PACKAGES=(mosquitto chromium caddy supervisor shellcheck sqlite3 protobuf-compiler)

test_deps() {
	local missing=()
	command -v mosquitto >/dev/null 2>&1 || [ -x /usr/sbin/mosquitto ] || missing+=(mosquitto)
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

cmd_help() {
	cat <<'USAGE'
Usage: ./manage.sh <command> [args]

Commands:
  test        install test dependencies (apt, npm) when missing and run every test
  help        show this help
USAGE
}

main() {
	local cmd="${1:-help}"
	shift || true
	case "$cmd" in
		test) cmd_test "$@" ;;
		help | -h | --help) cmd_help ;;
		*) cmd_help >&2; die "unknown command: $cmd" ;;
	esac
}

main "$@"
