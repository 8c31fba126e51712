// Command meshsim generates deterministic synthetic MeshCore traffic as the
// MQTT messages meshcoretomqtt observers publish: to an NDJSON file
// (generate), or straight to a broker, live or replayed (publish). See
// internal/meshsim for the model.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
	case errors.Is(err, errUsage):
		os.Exit(2)
	case errors.Is(err, context.Canceled):
		// Interrupted before the work was complete (publish treats Ctrl-C of
		// a live stream as a normal end and returns nil instead).
		fmt.Fprintln(os.Stderr, "meshsim: interrupted")
		os.Exit(130)
	default:
		fmt.Fprintln(os.Stderr, "meshsim:", err)
		os.Exit(1)
	}
}

// errUsage marks command-line mistakes (exit status 2); the message has
// already been printed with the usage text.
var errUsage = errors.New("usage error")

const overview = `meshsim — a deterministic synthetic MeshCore mesh for demos, tests and benchmarks.

Usage:
  meshsim generate [flags]   write N transmissions (all observations + observer status) as NDJSON
  meshsim publish  [flags]   stream to an MQTT broker: live, a generated history, or a file
  meshsim nodes    [flags]   print the simulated nodes and observers as JSON

Every message is what a meshcoretomqtt observer publishes: topic
meshcore/<IATA>/<OBSERVER_PUBKEY>/packets or .../status, JSON payload.
Same flags (including --end) give byte-identical output.

Run "meshsim <command> --help" for the flags of a command.
`

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, overview)
		return errUsage
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo})).With("component", "meshsim")
	switch args[0] {
	case "generate":
		return runGenerate(ctx, args[1:], stdout, stderr, logger)
	case "publish":
		return runPublish(ctx, args[1:], stderr, logger)
	case "nodes":
		return runNodes(args[1:], stdout, stderr)
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, overview)
		return nil
	default:
		fmt.Fprintf(stderr, "meshsim: unknown command %q\n\n%s", args[0], overview)
		return errUsage
	}
}
