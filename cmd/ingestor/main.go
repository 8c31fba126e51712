// Command ingestor reads MeshCore packets from MQTT into SQLite: it is the
// only writer of the database. `ingestor decode HEX…` decodes packets offline;
// `ingestor import FILE.jsonl` stores recorded messages with their own times.
// Run `ingestor --help` for flags.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

// Set with -ldflags "-X main.version=… -X main.commit=…".
var (
	version = "dev"
	commit  string
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "decode" {
		os.Exit(runDecode(os.Args[2:], os.Stdout, os.Stderr))
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if len(os.Args) > 1 && os.Args[1] == "import" {
		if err := runImport(ctx, os.Args[2:], os.Getenv, os.Stdout, os.Stderr); err != nil {
			fmt.Fprintln(os.Stderr, "ingestor import:", err)
			stop()
			os.Exit(1)
		}
		return
	}
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "ingestor:", err)
		os.Exit(1)
	}
}
