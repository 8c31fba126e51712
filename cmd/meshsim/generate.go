package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/corescope/corescope/internal/meshsim"
)

func runGenerate(ctx context.Context, args []string, stdout, stderr io.Writer, logger *slog.Logger) error {
	fs := flag.NewFlagSet("generate", flag.ContinueOnError)
	var f simFlags
	f.register(fs, true)
	out := fs.String("out", "-", "output NDJSON file (- = stdout); one {\"topic\",\"payload\"} MQTT message per line, in time order")
	fs.Usage = usage(fs, stderr, `Usage: meshsim generate --seed S --transmissions N --hours H [--nodes 400 --observers 10] --out file.ndjson
       meshsim generate --preset reference --end 2026-01-01T00:00:00Z --out reference.ndjson`)
	set, err := parse(fs, args, stderr)
	if err != nil {
		return err
	}
	o, err := f.options(set)
	if err != nil {
		fmt.Fprintln(stderr, "meshsim generate:", err)
		return errUsage
	}
	w := stdout
	var file *os.File
	if *out != "-" {
		file, err = os.Create(*out)
		if err != nil {
			return fmt.Errorf("create output: %w", err)
		}
		defer file.Close()
		w = file
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	start := time.Now()
	sim := meshsim.New(o)
	packets, statuses := 0, 0
	err = sim.Each(f.transmissions, func(m meshsim.Message) error {
		if m.Kind == meshsim.KindStatus {
			statuses++
		} else {
			packets++
		}
		if packets%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		return meshsim.WriteNDJSON(bw, m)
	})
	if err == nil {
		err = bw.Flush()
	}
	if err == nil && file != nil {
		err = file.Close()
	}
	if err != nil {
		return fmt.Errorf("generate %s: %w", *out, err)
	}
	eff := sim.Options()
	logger.Info("generated",
		"transmissions", f.transmissions, "observations", packets, "status_messages", statuses,
		"nodes", eff.Nodes, "observers", eff.Observers,
		"from", eff.End.Add(-eff.Duration).Format(time.RFC3339), "to", eff.End.Format(time.RFC3339),
		"out", *out, "elapsed", time.Since(start).Round(time.Millisecond))
	return nil
}
