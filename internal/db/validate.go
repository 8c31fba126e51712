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
	maxIDLen     = 256
	maxTextLen   = 1 << 16
)

// validIndexes lists, per kind, the rows of a Batch that passed validation.
type validIndexes struct {
	observers, transmissions, observations, nodes, metrics, dropped []int
}

// validate checks every row before the transaction starts, so one bad row
// never costs the rest of the batch. Rejections go to res.Rejected.
func validate(b *Batch, res *Result) validIndexes {
	var v validIndexes
	check := func(kind RowKind, i int, problem string) bool {
		if problem == "" {
			return true
		}
		res.Rejected = append(res.Rejected, RowError{Kind: kind, Index: i, Err: fmt.Errorf("%w: %s", ErrInvalidRow, problem)})
		return false
	}
	for i := range b.Observers {
		o := &b.Observers[i]
		p := ""
		switch {
		case o.ID == "":
			p = "empty observer id"
		case len(o.ID) > maxIDLen:
			p = "observer id too long"
		case len(o.Name) > maxIDLen || len(o.IATA) > maxIDLen:
			p = "observer name or iata too long"
		case badFloat(o.NoiseFloor):
			p = "noise floor is not a finite number"
		}
		if check(KindObserver, i, p) {
			v.observers = append(v.observers, i)
		}
	}
	for i := range b.Transmissions {
		t := &b.Transmissions[i]
		p := ""
		switch {
		case t.Hash == "":
			p = "empty hash"
		case len(t.Hash) > maxHashLen:
			p = "hash too long"
		case len(t.RawHex) > maxRawHexLen:
			p = "raw hex too long"
		case t.FirstSeen.IsZero():
			p = "first_seen not set"
		case len(t.DecodedJSON) > maxTextLen:
			p = "decoded JSON too long"
		}
		if check(KindTransmission, i, p) {
			v.transmissions = append(v.transmissions, i)
		}
	}
	for i := range b.Observations {
		o := &b.Observations[i]
		p := ""
		switch {
		case o.TxHash == "":
			p = "empty transmission hash"
		case o.Timestamp <= 0:
			p = "timestamp not set"
		case len(o.ObserverID) > maxIDLen:
			p = "observer id too long"
		case len(o.RawHex) > maxRawHexLen:
			p = "raw hex too long"
		case len(o.PathJSON) > maxTextLen || len(o.ResolvedPath) > maxTextLen:
			p = "path too long"
		case badFloat(o.SNR) || badFloat(o.RSSI):
			p = "snr or rssi is not a finite number"
		}
		if check(KindObservation, i, p) {
			v.observations = append(v.observations, i)
		}
	}
	for i := range b.Nodes {
		n := &b.Nodes[i]
		p := ""
		switch {
		case n.PublicKey == "":
			p = "empty public key"
		case len(n.PublicKey) > maxIDLen:
			p = "public key too long"
		case n.Seen.IsZero():
			p = "seen time not set"
		case len(n.Name) > maxIDLen:
			p = "name too long"
		case badFloat(n.Lat) || badFloat(n.Lon) || badFloat(n.TemperatureC):
			p = "lat, lon or temperature is not a finite number"
		case n.Lat != nil && (*n.Lat < -90 || *n.Lat > 90), n.Lon != nil && (*n.Lon < -180 || *n.Lon > 180):
			p = "lat or lon out of range"
		}
		if check(KindNode, i, p) {
			v.nodes = append(v.nodes, i)
		}
	}
	for i := range b.Metrics {
		m := &b.Metrics[i]
		p := ""
		switch {
		case m.ObserverID == "":
			p = "empty observer id"
		case m.At.IsZero():
			p = "sample time not set"
		case badFloat(m.NoiseFloor):
			p = "noise floor is not a finite number"
		}
		if check(KindMetrics, i, p) {
			v.metrics = append(v.metrics, i)
		}
	}
	for i := range b.Dropped {
		d := &b.Dropped[i]
		p := ""
		switch {
		case d.Reason == "":
			p = "empty reason"
		case len(d.RawHex) > maxRawHexLen:
			p = "raw hex too long"
		case len(d.Reason) > maxTextLen:
			p = "reason too long"
		}
		if check(KindDropped, i, p) {
			v.dropped = append(v.dropped, i)
		}
	}
	return v
}

func badFloat(f *float64) bool {
	return f != nil && (math.IsNaN(*f) || math.IsInf(*f, 0))
}
