// Package deploytest tests CoreScope's deployment layout natively: the
// container's docker/entrypoint.sh and docker/supervisord.conf running real
// Mosquitto, Caddy, ingestor and server on free ports in temp dirs (no Docker
// engine runs on the CI machines), manage.sh's backup/restore against a live
// ingestor, and `./manage.sh demo` in a real Chromium. The package has no
// non-test code; everything is in the _test.go files.
package deploytest
