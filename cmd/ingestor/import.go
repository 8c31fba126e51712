package main

import (
	"compress/gzip"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/corescope/corescope/internal/ingest"
)

const importUsage = `Usage: ingestor import [-config config.json] FILE.jsonl

Store recorded MQTT messages in the database, each with its own receive time
(live traffic is always stamped with the time it arrives). For backfilling
from a capture or another instance, and for the demo's history. FILE may be
gzip-compressed (.gz) or - for standard input.

One JSON object per line:
  {"time":"2026-12-04T17:00:00Z","topic":"meshcore/SEA/<OBSERVER_ID>/packets","payload":{"raw":"0A00…","SNR":7.5,"RSSI":-96}}

  time     the receive time: RFC 3339, or a number of Unix seconds
  topic    the MQTT topic, as the observer's meshcoretomqtt publishes it
  payload  the MQTT payload: a JSON object (or a JSON string holding one)

Every record goes through the ingestor's normal parsing, filters (blacklist,
IATA whitelist), decoding and de-duplication, so importing a file twice
stores it once. The first record that carries a packet sets its first_seen,
so feed files in time order. Lines that are not records (bad JSON, no time,
a time before 2000 or in the future) are counted, the first 10 logged with
their line number, and skipped. Progress is logged every 5 s. It can run
while the ingestor runs. Exit status: 0 when the file was read to the end
(even with bad lines), else 1 (bad arguments, unreadable file, database
failure: run it again, nothing is stored twice).

Flags:
`

// runImport is `ingestor import`.
func runImport(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("ingestor import", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", "config.json", "config file (missing = built-in defaults); its dbPath is written")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), importUsage)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(stdout)
			fs.Usage()
			return nil
		}
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return fmt.Errorf("want exactly one FILE.jsonl (or -), got %d arguments", fs.NArg())
	}
	in, closeIn, err := openInput(fs.Arg(0))
	if err != nil {
		return err
	}
	defer closeIn()
	cfg, log, err := loadConfig(*cfgPath, getenv, stderr)
	if err != nil {
		return err
	}
	log.Info("import started", "file", fs.Arg(0), "db", cfg.DBPath)
	res, err := ingest.Import(ctx, cfg, in, ingest.ImportOptions{Logger: log})
	printImportSummary(stdout, fs.Arg(0), res)
	if err != nil {
		return fmt.Errorf("%s: %w", fs.Arg(0), err)
	}
	return nil
}

// openInput opens FILE, - (stdin) or FILE.gz.
func openInput(name string) (io.Reader, func(), error) {
	if name == "-" {
		return os.Stdin, func() {}, nil
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, nil, fmt.Errorf("open input: %w", err)
	}
	if !strings.HasSuffix(name, ".gz") {
		return f, func() { f.Close() }, nil
	}
	zr, err := gzip.NewReader(f)
	if err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("%s: not gzip: %w", name, err)
	}
	return zr, func() { zr.Close(); f.Close() }, nil
}

func printImportSummary(w io.Writer, name string, r ingest.ImportResult) {
	fmt.Fprintf(w, "%s: %d lines, %d records: %d stored (%d new transmissions, %d new observations), %d dropped, %d bad lines\n",
		name, r.Lines, r.Records, r.Stored, r.TxInserted, r.ObsInserted, r.Dropped, r.BadLines)
	if !r.First.IsZero() {
		fmt.Fprintf(w, "  record times %s … %s\n", r.First.UTC().Format(time.RFC3339), r.Last.UTC().Format(time.RFC3339))
	}
	for _, reason := range slices.Sorted(maps.Keys(r.Drops)) {
		fmt.Fprintf(w, "  dropped %s: %d\n", reason, r.Drops[reason])
	}
	for _, b := range r.FirstBad {
		fmt.Fprintf(w, "  bad %s\n", b)
	}
	if r.BadLines > len(r.FirstBad) {
		fmt.Fprintf(w, "  … and %d more bad lines\n", r.BadLines-len(r.FirstBad))
	}
}
