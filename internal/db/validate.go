package db

import (
	"fmt"
	"math"
)

// Bounds for validation: generous for real MeshCore traffic (a packet is at
// most 255 bytes), tight enough that garbage cannot bloat the database.
const (
	maxHashLen   = 128
	maxRawHexLen = 4096
	// MaxIDLen bounds ids, names and regions. Exported so the ingestor
	// rejects a message with a longer field whole, before any of its rows
	// reaches a batch.
	MaxIDLen   = 256
	maxTextLen = 1 << 16
)

// validIndexes lists, per kind, the rows of a Batch that passed validation.
type validIndexes struct {
	observers, transmissions, observations, nodes, metrics, dropped []int
}

// validate checks every row before the transaction starts, so one bad row
// never costs the rest of the batch. Rejections go to res.Rejected.
func validate(b *Batch, res *Result) validIndexes {
	return validIndexes{
		observers:     valid(b.Observers, KindObserver, observerProblem, res),
		transmissions: valid(b.Transmissions, KindTransmission, transmissionProblem, res),
		observations:  valid(b.Observations, KindObservation, observationProblem, res),
		nodes:         valid(b.Nodes, KindNode, nodeProblem, res),
		metrics:       valid(b.Metrics, KindMetrics, metricsProblem, res),
		dropped:       valid(b.Dropped, KindDropped, droppedProblem, res),
	}
}

// Problems returns the rows WriteBatch would reject before writing (the same
// checks, no database access). The ingestor uses it to leave out every row
// of a message one of whose rows is invalid, so a message is stored whole
// or not at all.
func (b *Batch) Problems() []RowError {
	var res Result
	validate(b, &res)
	return res.Rejected
}

// valid returns the indexes of the rows without a problem and records the
// others in res.Rejected.
func valid[T any](rows []T, kind RowKind, problem func(*T) string, res *Result) []int {
	var ok []int
	for i := range rows {
		if p := problem(&rows[i]); p != "" {
			res.Rejected = append(res.Rejected, RowError{Kind: kind, Index: i, Err: fmt.Errorf("%w: %s", ErrInvalidRow, p)})
			continue
		}
		ok = append(ok, i)
	}
	return ok
}

func observerProblem(o *ObserverUpsert) string {
	switch {
	case o.ID == "":
		return "empty observer id"
	case len(o.ID) > MaxIDLen:
		return "observer id too long"
	case len(o.Name) > MaxIDLen || len(o.IATA) > MaxIDLen:
		return "observer name or iata too long"
	case badFloat(o.NoiseFloor):
		return "noise floor is not a finite number"
	}
	return ""
}

func transmissionProblem(t *Transmission) string {
	switch {
	case t.Hash == "":
		return "empty hash"
	case len(t.Hash) > maxHashLen:
		return "hash too long"
	case len(t.RawHex) > maxRawHexLen:
		return "raw hex too long"
	case t.FirstSeen.IsZero():
		return "first_seen not set"
	case len(t.DecodedJSON) > maxTextLen:
		return "decoded JSON too long"
	}
	return ""
}

func observationProblem(o *Observation) string {
	switch {
	case o.TxHash == "":
		return "empty transmission hash"
	case o.Timestamp <= 0:
		return "timestamp not set"
	case len(o.ObserverID) > MaxIDLen:
		return "observer id too long"
	case len(o.RawHex) > maxRawHexLen:
		return "raw hex too long"
	case len(o.PathJSON) > maxTextLen || len(o.ResolvedPath) > maxTextLen:
		return "path too long"
	case badFloat(o.SNR) || badFloat(o.RSSI):
		return "snr or rssi is not a finite number"
	}
	return ""
}

func nodeProblem(n *NodeUpsert) string {
	switch {
	case n.PublicKey == "":
		return "empty public key"
	case len(n.PublicKey) > MaxIDLen:
		return "public key too long"
	case n.Seen.IsZero():
		return "seen time not set"
	case len(n.Name) > MaxIDLen:
		return "name too long"
	case badFloat(n.Lat) || badFloat(n.Lon) || badFloat(n.TemperatureC):
		return "lat, lon or temperature is not a finite number"
	case n.Lat != nil && (*n.Lat < -90 || *n.Lat > 90), n.Lon != nil && (*n.Lon < -180 || *n.Lon > 180):
		return "lat or lon out of range"
	}
	return ""
}

func metricsProblem(m *Metrics) string {
	switch {
	case m.ObserverID == "":
		return "empty observer id"
	case m.At.IsZero():
		return "sample time not set"
	case badFloat(m.NoiseFloor):
		return "noise floor is not a finite number"
	}
	return ""
}

func droppedProblem(d *Dropped) string {
	switch {
	case d.Reason == "":
		return "empty reason"
	case len(d.RawHex) > maxRawHexLen:
		return "raw hex too long"
	case len(d.Reason) > maxTextLen:
		return "reason too long"
	}
	return ""
}

func badFloat(f *float64) bool {
	return f != nil && (math.IsNaN(*f) || math.IsInf(*f, 0))
}
