// Command server is CoreScope's HTTP server: it loads the database written by
// the ingestor into memory and serves the REST API, the WebSocket live feed
// and the embedded web app. Run `server --help` for flags.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

// Set with -ldflags "-X main.version=… -X main.commit=… -X main.buildTime=…".
var (
	version   string
	commit    string
	buildTime string
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "server:", err)
		os.Exit(1)
	}
}
