package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/corescope/corescope/internal/meshsim"
)

func runPublish(ctx context.Context, args []string, stderr io.Writer, logger *slog.Logger) error {
	fs := flag.NewFlagSet("publish", flag.ContinueOnError)
	var f simFlags
	f.register(fs, true)
	broker := fs.String("broker", "", "MQTT broker URL, e.g. tcp://localhost:1883 or mqtt://host:1883 (required)")
	rate := fs.Float64("rate", 0, "messages per second (live default 20; file/history default: as fast as the broker acknowledges)")
	in := fs.String("in", "", "replay this NDJSON file (from meshsim generate) instead of simulating")
	history := fs.Bool("history", false, "publish --transmissions spread over the last --hours (timestamps in the past) instead of live traffic; implied by --preset")
	warmup := fs.Int("warmup", 0, "live: first publish this many transmissions spread over the last --hours (as fast as possible), so a demo starts with history")
	duration := fs.Duration("duration", 0, "live: stop after this long (0 = until interrupted or --transmissions are sent)")
	fs.Usage = usage(fs, stderr, `Usage: meshsim publish --broker URL [--rate R]                 live traffic with real timestamps (Ctrl-C stops)
       meshsim publish --broker URL --in file.ndjson [--rate R] replay a generated file
       meshsim publish --broker URL --history|--preset reference generate a history and publish it
Messages are published at QoS 1, not retained.`)
	set, err := parse(fs, args, stderr)
	if err != nil {
		return err
	}
	if *broker == "" {
		fmt.Fprintln(stderr, "meshsim publish: --broker is required")
		fs.Usage()
		return errUsage
	}
	live := *in == "" && !*history && f.preset == ""
	if live && !set["transmissions"] {
		f.transmissions = 0 // live: no limit unless asked
	}
	o, err := f.options(set)
	if err != nil {
		fmt.Fprintln(stderr, "meshsim publish:", err)
		return errUsage
	}
	if *warmup < 0 {
		fmt.Fprintln(stderr, "meshsim publish: --warmup must not be negative")
		return errUsage
	}
	if live && *rate == 0 {
		*rate = 20
	}
	if *duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, *duration)
		defer cancel()
	}
	pubRate := *rate
	if live {
		pubRate = 0 // Live paces itself
	}
	p, err := meshsim.Dial(ctx, *broker, pubRate)
	if err != nil {
		return err
	}
	start := time.Now()
	progress := newProgress(logger)
	publish := func(m meshsim.Message) error {
		if err := p.Publish(ctx, m); err != nil {
			return err
		}
		progress.tick(p.Sent())
		return nil
	}
	switch {
	case *in != "":
		err = replay(*in, publish)
	case live:
		if *warmup > 0 && !set["end"] {
			o.End = time.Now() // history right up to the live part
		}
		sim := meshsim.New(o)
		if *warmup > 0 {
			logger.Info("publishing warm-up history", "transmissions", *warmup, "hours", f.hours)
			err = sim.Each(*warmup, publish)
		}
		if err == nil {
			logger.Info("publishing live traffic", "broker", *broker, "rate", *rate, "nodes", o.Nodes, "observers", o.Observers)
			err = sim.Live(ctx, *rate, f.transmissions, publish)
		}
		if errors.Is(err, context.DeadlineExceeded) && *duration > 0 {
			err = nil // --duration elapsed: a normal end
		}
	default:
		err = meshsim.New(o).Each(f.transmissions, publish)
	}
	flushCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if cerr := p.Close(flushCtx); err == nil {
		err = cerr
	}
	if live && errors.Is(err, context.Canceled) && errors.Is(ctx.Err(), context.Canceled) {
		// Ctrl-C is how a live stream ends.
		logger.Info("stopped", "messages", p.Sent())
		return nil
	}
	if err != nil {
		return fmt.Errorf("publish to %s after %d messages: %w", *broker, p.Sent(), err)
	}
	logger.Info("published", "messages", p.Sent(), "broker", *broker, "elapsed", time.Since(start).Round(time.Millisecond))
	return nil
}

func replay(path string, fn func(meshsim.Message) error) error {
	fh, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("open input: %w", err)
	}
	defer fh.Close()
	if err := meshsim.ReadNDJSON(fh, fn); err != nil {
		return fmt.Errorf("replay %s: %w", path, err)
	}
	return nil
}

// progress logs the published count every 10 seconds.
type progress struct {
	logger *slog.Logger
	next   time.Time
}

func newProgress(l *slog.Logger) *progress {
	return &progress{logger: l, next: time.Now().Add(10 * time.Second)}
}

func (p *progress) tick(sent int) {
	if now := time.Now(); now.After(p.next) {
		p.logger.Info("publishing", "messages", sent)
		p.next = now.Add(10 * time.Second)
	}
}
