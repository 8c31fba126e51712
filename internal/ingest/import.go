package ingest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/corescope/corescope/internal/config"
)

// Import reads JSON Lines records and stores each with its own receive time
// (a trusted path: for backfilling from a capture or another instance, and
// for the demo's history). Live MQTT traffic is always stamped with the
// time it arrives; only Import trusts a time given in the input.
//
// One record per line:
//
//	{"time":"2026-12-04T17:00:00Z","topic":"meshcore/SEA/<OBSERVER>/packets","payload":{…}}
//
// time is RFC 3339 or a number of Unix seconds; topic and payload are the
// MQTT message exactly as a meshcoretomqtt observer publishes it (payload a
// JSON object, or a JSON string holding one). Every record goes through the
// same parsing, filters, decoding and de-duplication as live traffic, so
// importing a file twice stores it once. A line that is not such a record is
// counted, reported and skipped; only a database failure stops the import.
// `meshsim generate` writes this format.

// ImportOptions tune Import.
type ImportOptions struct {
	Logger *slog.Logger
	// Progress is the interval between progress log lines (default 5 s).
	Progress time.Duration
	// Now is the clock for refusing records from the future (default time.Now).
	Now func() time.Time
}

// ImportResult summarises an import.
type ImportResult struct {
	Lines    int // lines read, blank ones included
	Records  int // valid records handed to the ingest path
	Stored   int // records written (new or absorbed by de-dup)
	Dropped  int // records dropped by the ingest rules (see Drops)
	BadLines int // lines that are not a record (see BadReasons)

	Drops      map[string]uint64 // drop reason → records (non-zero only)
	BadReasons map[string]int    // why lines were bad → count
	FirstBad   []string          // the first maxReportedBad "line N: problem"

	TxInserted, ObsInserted uint64
	First, Last             time.Time // range of record times (zero if none)
}

const (
	maxImportLine  = 1 << 20 // a packet record is under 2 KB
	maxReportedBad = 10
	// futureSlack is how far ahead of the clock a record may be (clock skew
	// between the capturing machine and this one).
	futureSlack = 5 * time.Minute
)

// earliestRecord: MeshCore did not exist before; an earlier time is a unit
// mistake (milliseconds read as seconds, or a zero time).
var earliestRecord = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// importRecord is one line of the import format.
type importRecord struct {
	Time    json.RawMessage `json:"time"`
	Topic   string          `json:"topic"`
	Payload json.RawMessage `json:"payload"`
}

// Import stores the records read from r in cfg's database (migrating it
// first when needed). It can run while the ingestor runs.
func Import(ctx context.Context, cfg *config.Config, r io.Reader, opts ImportOptions) (ImportResult, error) {
	ing, err := New(ctx, cfg, Options{Logger: opts.Logger, StatsPath: "-"})
	if err != nil {
		return ImportResult{}, err
	}
	imp := &importer{ing: ing, now: opts.Now, every: opts.Progress, res: ImportResult{BadReasons: map[string]int{}}}
	if imp.now == nil {
		imp.now = time.Now
	}
	if imp.every <= 0 {
		imp.every = 5 * time.Second
	}
	err = imp.run(ctx, r)
	if cerr := ing.writer.Close(); cerr != nil && err == nil {
		err = fmt.Errorf("close database: %w", cerr)
	}
	return imp.result(), err
}

type importer struct {
	ing   *Ingestor
	now   func() time.Time
	every time.Duration
	res   ImportResult
	batch []*item
}

func (imp *importer) run(ctx context.Context, r io.Reader) error {
	br := bufio.NewReaderSize(r, 256<<10)
	started := time.Now()
	nextLog := started.Add(imp.every)
	for {
		line, tooLong, err := readLine(br)
		if len(line) > 0 || tooLong || err == nil {
			imp.res.Lines++
			imp.line(line, tooLong)
		}
		if len(imp.batch) >= imp.ing.batchSize {
			if ferr := imp.flush(ctx); ferr != nil {
				return ferr
			}
		}
		if now := time.Now(); now.After(nextLog) {
			nextLog = now.Add(imp.every)
			imp.logProgress("import progress", started)
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("read line %d: %w", imp.res.Lines+1, err)
		}
		if cerr := ctx.Err(); cerr != nil {
			return cerr
		}
	}
	if err := imp.flush(ctx); err != nil {
		return err
	}
	imp.logProgress("import done", started)
	return nil
}

// readLine returns the next line without its newline. A line longer than
// maxImportLine is consumed and reported as tooLong. err is io.EOF after the
// last line.
func readLine(br *bufio.Reader) (line []byte, tooLong bool, err error) {
	var buf []byte
	for {
		chunk, err := br.ReadSlice('\n')
		if !tooLong {
			if len(buf)+len(chunk) > maxImportLine+1 {
				tooLong, buf = true, nil
			} else {
				buf = append(buf, chunk...)
			}
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		return bytes.TrimRight(buf, "\r\n"), tooLong, err
	}
}

// line handles one input line: blank lines are skipped, bad ones counted.
func (imp *importer) line(b []byte, tooLong bool) {
	if tooLong {
		imp.bad(fmt.Sprintf("longer than %d bytes", maxImportLine))
		return
	}
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return
	}
	topic, payload, at, problem := imp.parse(b)
	if problem != "" {
		imp.bad(problem)
		return
	}
	imp.res.Records++
	if imp.res.First.IsZero() || at.Before(imp.res.First) {
		imp.res.First = at
	}
	if at.After(imp.res.Last) {
		imp.res.Last = at
	}
	it, err := imp.ing.prepareAt(nil, topic, payload, false, at)
	if err != nil {
		imp.ing.dropMessage(nil, topic, err)
		return
	}
	imp.batch = append(imp.batch, it)
}

// parse checks one record; problem is "" when it is usable.
func (imp *importer) parse(b []byte) (topic string, payload []byte, at time.Time, problem string) {
	var rec importRecord
	if err := json.Unmarshal(b, &rec); err != nil {
		return "", nil, at, "not a JSON object: " + err.Error()
	}
	if rec.Topic == "" {
		return "", nil, at, "no topic"
	}
	payload = bytes.TrimSpace(rec.Payload)
	if len(payload) == 0 || string(payload) == "null" {
		return "", nil, at, "no payload"
	}
	if payload[0] == '"' {
		var s string
		if err := json.Unmarshal(payload, &s); err != nil {
			return "", nil, at, "payload: " + err.Error()
		}
		payload = []byte(s)
	}
	at, problem = parseRecordTime(rec.Time)
	if problem != "" {
		return "", nil, at, problem
	}
	if at.Before(earliestRecord) {
		return "", nil, at, "time before 2000 (milliseconds instead of seconds?)"
	}
	if at.After(imp.now().Add(futureSlack)) {
		return "", nil, at, "time in the future"
	}
	return rec.Topic, payload, at, ""
}

// parseRecordTime reads an RFC 3339 string or a number of Unix seconds.
func parseRecordTime(raw json.RawMessage) (time.Time, string) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return time.Time{}, "no time"
	}
	if raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return time.Time{}, "time: " + err.Error()
		}
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return time.Time{}, fmt.Sprintf("time %q is not RFC 3339", s)
		}
		return t, ""
	}
	f, err := strconv.ParseFloat(string(raw), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || f < 0 || f > 1e11 {
		return time.Time{}, fmt.Sprintf("time %s is neither RFC 3339 nor Unix seconds", raw)
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)).UTC(), ""
}

func (imp *importer) bad(problem string) {
	imp.res.BadLines++
	// Count by the problem's kind (before any detail after a colon).
	kind := problem
	if i := strings.IndexByte(problem, ':'); i > 0 {
		kind = problem[:i]
	}
	imp.res.BadReasons[kind]++
	if len(imp.res.FirstBad) < maxReportedBad {
		msg := fmt.Sprintf("line %d: %s", imp.res.Lines, problem)
		imp.res.FirstBad = append(imp.res.FirstBad, msg)
		imp.ing.log.Warn("import: bad line skipped", "line", imp.res.Lines, "problem", problem)
	}
}

// flush writes the pending records in one transaction (the live path's
// flush: rows the database rejects are counted as write errors). Records
// that could not be written are retried for a while; a database that keeps
// failing stops the import, which is safe to run again.
func (imp *importer) flush(ctx context.Context) error {
	carry := imp.ing.flush(imp.batch)
	imp.batch = imp.batch[:0]
	for wait := minBackoff; len(carry) > 0; wait *= 2 {
		if wait > 10*time.Second {
			return fmt.Errorf("database write failing, %d records not stored: %w", len(carry), carry[0].lastErr)
		}
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return ctx.Err()
		}
		carry = imp.ing.flush(carry)
	}
	return nil
}

func (imp *importer) result() ImportResult {
	res := imp.res
	st := imp.ing.Stats()
	res.TxInserted, res.ObsInserted = st.TxInserted, st.ObsInserted
	res.Drops = map[string]uint64{}
	for k, v := range st.Drops {
		if v > 0 {
			res.Drops[k] = v
			res.Dropped += int(v)
		}
	}
	res.Stored = res.Records - res.Dropped
	return res
}

func (imp *importer) logProgress(msg string, started time.Time) {
	res := imp.result()
	elapsed := time.Since(started)
	attrs := []any{"lines", res.Lines, "records", res.Records, "stored", res.Stored,
		"new_transmissions", res.TxInserted, "new_observations", res.ObsInserted,
		"dropped", res.Dropped, "bad_lines", res.BadLines, "elapsed", elapsed.Round(time.Millisecond)}
	if s := elapsed.Seconds(); s > 0 {
		attrs = append(attrs, "records_per_sec", int(float64(res.Records)/s))
	}
	if len(res.Drops) > 0 {
		attrs = append(attrs, "drops", fmt.Sprint(res.Drops))
	}
	if len(res.BadReasons) > 0 {
		keys := slices.Sorted(maps.Keys(res.BadReasons))
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = fmt.Sprintf("%s=%d", k, res.BadReasons[k])
		}
		attrs = append(attrs, "bad_reasons", fmt.Sprint(parts))
	}
	imp.ing.log.Info(msg, attrs...)
}
