// Package deploytest tests CoreScope's deployment layout natively: the
// container's docker/entrypoint.sh and docker/supervisord.conf running real
// Mosquitto, Caddy, ingestor and server on free ports in temp dirs (no Docker
// engine runs on the CI machines), manage.sh's backup/restore against a live
// ingestor, `./manage.sh demo` in a real Chromium, and the Dockerfile read
// with BuildKit's parser (COPY sources, scripts, documented ports). The
// package has no non-test code; stackcheck/ is the end-to-end check that
// both the layout test and `./manage.sh test-image` run.
package deploytest
