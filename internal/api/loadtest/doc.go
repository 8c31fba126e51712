// Package loadtest is the server's load benchmark (DESIGN.md §4): it fills a
// database with the reference workload (meshsim through Mosquitto and the
// real ingestor), starts the real server binary, and measures time to first
// answer, time to full load, RSS, and latency per endpoint at 50 concurrent
// requests. It runs only when asked:
//
//	CORESCOPE_LOAD=1 go test -run TestLoad -v -timeout 60m ./internal/api/loadtest/
//
// CORESCOPE_LOAD_DB=<path> keeps the generated database at path and reuses
// it on the next run (generation takes minutes). CORESCOPE_LOAD_TX overrides
// the number of transmissions (default meshsim.ReferenceTransmissions).
// CORESCOPE_LOAD_GZIP=0 runs the server without compression (the default
// config); by default the run enables compression.gzip as a deployment
// facing the internet should. CORESCOPE_LOAD_CACHE=0 turns the server's
// response micro-cache off (-response-cache-ms 0), so every request pays the
// full selection + encoding + gzip cost (the run repeats identical URLs, which
// the cache otherwise answers). CORESCOPE_LOAD_REPORT=<file> saves the tables.
// CORESCOPE_LOAD_ONLY=large measures only the large responses.
package loadtest
