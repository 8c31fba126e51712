#!/bin/sh
# healthcheck.sh — the image's HEALTHCHECK: healthy once the server answers
# /api/healthz with 200 (its in-memory store is loaded). The entrypoint
# records where the server listens, which changes with DISABLE_CADDY.
set -eu
url="$(cat "${CORESCOPE_RUN:-/run/corescope}/server-url" 2>/dev/null || echo http://127.0.0.1:3000)"
if command -v wget >/dev/null 2>&1; then
	exec wget -q -T 5 -O /dev/null "$url/api/healthz"
fi
exec curl -fsS -m 5 -o /dev/null "$url/api/healthz"
