// Package webtest runs the SPA's browser tests: it builds the real ingestor and server, fills a
// temp database through a real Mosquitto broker with meshsim traffic, starts the server on a
// free port and drives Debian's /usr/bin/chromium with npm playwright-core
// (browser/run.mjs). Screenshots of every page in both themes land in screenshots/
// (gitignored).
package webtest
