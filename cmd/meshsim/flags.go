package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/corescope/corescope/internal/meshsim"
)

// simFlags are the flags shared by every command that builds a mesh.
type simFlags struct {
	seed          int64
	nodes         int
	observers     int
	transmissions int
	hours         float64
	end           string
	preset        string
	center        string
	radiusKm      float64
	iata          string
	naive         bool
}

func (f *simFlags) register(fs *flag.FlagSet, withTraffic bool) {
	fs.Int64Var(&f.seed, "seed", 1, "random seed: same seed and flags give the same mesh and traffic")
	fs.IntVar(&f.nodes, "nodes", 400, "number of nodes (2..5000)")
	fs.IntVar(&f.observers, "observers", 10, "number of observers (repeaters with an MQTT bridge)")
	fs.StringVar(&f.center, "center", "", "single region centre `lat,lon` (default: Seattle SEA 85% + Portland PDX 15%)")
	fs.Float64Var(&f.radiusKm, "radius", 40, "radius in km of the --center region")
	fs.StringVar(&f.iata, "iata", "XXX", "IATA code of the --center region")
	fs.BoolVar(&f.naive, "naive-timestamps", false, "send zone-less envelope timestamps, exactly like the bridge on a UTC host (default adds Z)")
	if withTraffic {
		fs.IntVar(&f.transmissions, "transmissions", 1000, "number of transmissions (each heard by ~4 observers)")
		fs.Float64Var(&f.hours, "hours", 24, "spread the transmissions over the last H hours before --end")
		fs.StringVar(&f.end, "end", "", "end of the time range, RFC 3339 (default: now, truncated to the hour)")
		fs.StringVar(&f.preset, "preset", "", `"reference": the benchmark workload, 56000 transmissions, 400 nodes, 10 observers, 24 h (explicit flags override)`)
	}
}

// options turns the flags into meshsim.Options; set holds the flags given
// explicitly, which override a preset.
func (f *simFlags) options(set map[string]bool) (meshsim.Options, error) {
	if f.preset != "" {
		if f.preset != "reference" {
			return meshsim.Options{}, fmt.Errorf("unknown --preset %q (known: reference)", f.preset)
		}
		if !set["transmissions"] {
			f.transmissions = meshsim.ReferenceTransmissions
		}
		if !set["nodes"] {
			f.nodes = 400
		}
		if !set["observers"] {
			f.observers = 10
		}
		if !set["hours"] {
			f.hours = 24
		}
	}
	o := meshsim.Options{Seed: f.seed, Nodes: f.nodes, Observers: f.observers, NaiveTimestamps: f.naive}
	if f.hours <= 0 || f.hours > 24*365 {
		return o, fmt.Errorf("--hours must be in (0, 8760], got %g", f.hours)
	}
	o.Duration = time.Duration(f.hours * float64(time.Hour))
	if f.end != "" {
		t, err := time.Parse(time.RFC3339, f.end)
		if err != nil {
			return o, fmt.Errorf("--end: %w", err)
		}
		o.End = t
	}
	if f.center != "" {
		lat, lon, err := parseLatLon(f.center)
		if err != nil {
			return o, fmt.Errorf("--center: %w", err)
		}
		o.Regions = []meshsim.Region{{IATA: strings.ToUpper(f.iata), Lat: lat, Lon: lon, RadiusKm: f.radiusKm, Share: 1}}
	}
	if f.transmissions < 0 {
		return o, fmt.Errorf("--transmissions must not be negative, got %d", f.transmissions)
	}
	if err := o.Validate(); err != nil {
		return o, err
	}
	return o, nil
}

func parseLatLon(s string) (float64, float64, error) {
	a, b, ok := strings.Cut(s, ",")
	if !ok {
		return 0, 0, errors.New("want lat,lon")
	}
	lat, err1 := strconv.ParseFloat(strings.TrimSpace(a), 64)
	lon, err2 := strconv.ParseFloat(strings.TrimSpace(b), 64)
	if err1 != nil || err2 != nil {
		return 0, 0, fmt.Errorf("want lat,lon numbers, got %q", s)
	}
	return lat, lon, nil
}

// parse parses args; --help prints usage to stdout-like w and returns
// flag.ErrHelp; other mistakes return errUsage after printing the error.
func parse(fs *flag.FlagSet, args []string, w io.Writer) (map[string]bool, error) {
	fs.SetOutput(w)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, err
		}
		return nil, fmt.Errorf("%w: %v", errUsage, err)
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(w, "unexpected arguments: %v\n", fs.Args())
		fs.Usage()
		return nil, errUsage
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	return set, nil
}

func usage(fs *flag.FlagSet, w io.Writer, synopsis string) func() {
	return func() {
		fmt.Fprintf(w, "%s\n\nFlags:\n", synopsis)
		fs.PrintDefaults()
	}
}
