package meshsim

import (
	"fmt"
	"time"
)

// Region is one geographic cluster of nodes. Observers in a region publish
// under its IATA code; the clusters are not linked by radio to each other, as
// two regional meshes feeding one CoreScope are not.
type Region struct {
	IATA     string   // upper-case airport code used in the MQTT topic
	Lat, Lon float64  // centre of the disc nodes are scattered in
	RadiusKm float64  // disc radius
	Share    float64  // relative share of nodes and observers (normalised)
	Places   []string // place names for node names (default: generic ones)
}

// Options configure a Sim. Zero values take the defaults documented on each
// field.
type Options struct {
	Seed      int64 // RNG seed; 0 is a valid seed
	Nodes     int   // number of nodes (default 400)
	Observers int   // number of observers, taken from the repeaters (default 10)
	// End is the time of the last generated transmission (default: now
	// truncated to the hour, so repeated runs within an hour are identical).
	End time.Time
	// Duration is the span Generate spreads transmissions over, ending at End
	// (default 24h).
	Duration time.Duration
	// Regions default to Seattle (SEA, 85 % of the nodes, 50 km) and Portland
	// (PDX, 15 %, 30 km).
	Regions []Region
	// RangeKm is the radio range between two nodes (default 12 km).
	RangeKm float64
	// StatusInterval is how often each observer publishes a status message
	// (default 5 minutes of sim time). A status is also sent before an
	// observer's first packet, as meshcoretomqtt does on connect.
	StatusInterval time.Duration
	// NaiveTimestamps makes the envelope `timestamp` zone-less
	// ("2025-05-14T18:42:07.512345"), exactly as the bridge sends it from a
	// host on UTC. The default appends "Z": ingestors treat naive values
	// far from their clock as observer clock skew, and generated history is
	// hours old by design.
	NaiveTimestamps bool
	// ChatText, when set, replaces the generated text of a channel message
	// (after "Sender: ") from sender; tests use it to send hostile texts
	// through the real encryption and ingest path.
	ChatText func(sender *Node, channel, text string) string
}

// DefaultRegions returns the default regions: Seattle and Portland.
func DefaultRegions() []Region {
	return []Region{
		{IATA: "SEA", Lat: 47.6062, Lon: -122.3321, RadiusKm: 50, Share: 0.85, Places: seattlePlaces},
		{IATA: "PDX", Lat: 45.5152, Lon: -122.6784, RadiusKm: 30, Share: 0.15, Places: portlandPlaces},
	}
}

// ReferenceOptions returns the reference benchmark workload's options
// (DESIGN.md §4): 400 nodes, 10 observers, over 24 hours ending at end.
// Generate(ReferenceTransmissions) then yields about 4 observations per
// transmission.
func ReferenceOptions(seed int64, end time.Time) Options {
	return Options{Seed: seed, Nodes: 400, Observers: 10, End: end, Duration: 24 * time.Hour}
}

// ReferenceTransmissions is the transmission count of the reference workload.
const ReferenceTransmissions = 56000

func (o Options) withDefaults(now time.Time) Options {
	if o.Nodes == 0 {
		o.Nodes = 400
	}
	if o.Observers == 0 {
		o.Observers = 10
	}
	if o.End.IsZero() {
		o.End = now.UTC().Truncate(time.Hour)
	}
	o.End = o.End.UTC()
	if o.Duration == 0 {
		o.Duration = 24 * time.Hour
	}
	if len(o.Regions) == 0 {
		o.Regions = DefaultRegions()
	}
	regions := make([]Region, len(o.Regions))
	for i, r := range o.Regions {
		if len(r.Places) == 0 {
			r.Places = genericPlaces
		}
		regions[i] = r
	}
	o.Regions = regions
	if o.RangeKm == 0 {
		o.RangeKm = 12
	}
	if o.StatusInterval == 0 {
		o.StatusInterval = 5 * time.Minute
	}
	return o
}

// Validate reports the first problem with the options, after defaults are
// applied (so a zero Options is valid).
func (o Options) Validate() error {
	o = o.withDefaults(time.Now())
	switch {
	case o.Nodes < 2:
		return fmt.Errorf("nodes must be at least 2, got %d", o.Nodes)
	case o.Nodes > 5000:
		// Linking is quadratic in the node count.
		return fmt.Errorf("nodes must be at most 5000, got %d", o.Nodes)
	case o.Observers < 1:
		return fmt.Errorf("observers must be at least 1, got %d", o.Observers)
	case o.Observers > o.Nodes:
		return fmt.Errorf("observers (%d) cannot exceed nodes (%d)", o.Observers, o.Nodes)
	case o.Duration < 0:
		return fmt.Errorf("duration must be positive, got %s", o.Duration)
	case o.RangeKm <= 0:
		return fmt.Errorf("range must be positive, got %g km", o.RangeKm)
	case o.StatusInterval < time.Second:
		return fmt.Errorf("status interval must be at least 1s, got %s", o.StatusInterval)
	}
	total := 0.0
	for i, r := range o.Regions {
		if len(r.IATA) == 0 || r.RadiusKm <= 0 || r.Share <= 0 {
			return fmt.Errorf("region %d (%q): need an IATA code, a positive radius and a positive share", i, r.IATA)
		}
		if r.Lat < -85 || r.Lat > 85 || r.Lon < -180 || r.Lon > 180 {
			return fmt.Errorf("region %q: centre %g,%g out of range", r.IATA, r.Lat, r.Lon)
		}
		total += r.Share
	}
	if total <= 0 {
		return fmt.Errorf("regions: shares sum to zero")
	}
	return nil
}
