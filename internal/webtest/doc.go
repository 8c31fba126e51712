// Package webtest runs the SPA's browser tests. TestBrowser builds the real ingestor and server,
// fills a temp database through a real Mosquitto broker with meshsim traffic (one node named
// `<img src=x onerror=alert(1)>`), starts the server on a free port, and then runs every
// browser/*.spec.mjs against that one stack as a subtest, each driving Debian's
// /usr/bin/chromium with npm playwright-core. Shared helpers for specs are in browser/lib.mjs;
// Go-side publishers a spec can trigger are registered in publishKinds. Screenshots land in
// screenshots/ (gitignored).
package webtest
