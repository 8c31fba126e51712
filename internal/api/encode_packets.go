package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/corescope/corescope/internal/store"
)

// The packet lists are the server's largest responses (2,000 transmissions
// with their observations are several MB), so they are written with these
// appenders straight from the store's views instead of building []TxJSON and
// reflecting over it: one reused buffer, flushed to the client every
// flushEvery bytes. The output is byte-for-byte json.Marshal(p.JSON())
// (TestPacketEncoderMatchesReferenceJSON).

const flushEvery = 64 << 10

func appendOptFloat(b []byte, f store.OptFloat) []byte {
	if !f.Valid {
		return append(b, "null"...)
	}
	return appendFloat(b, f.V)
}

func appendInt8OrNull(b []byte, v int8) []byte {
	if v < 0 {
		return append(b, "null"...)
	}
	return strconv.AppendInt(b, int64(v), 10)
}

const hexUpper = "0123456789ABCDEF"

// uniform reports whether p is held as raw hop bytes (every path our
// ingestor writes); legacy paths kept verbatim go through the store's
// renderers.
func uniform(p store.Path) bool {
	return p.HopSize > 0 && len(p.Hops)%int(p.HopSize) == 0 && p.Len() == len(p.Hops)/int(p.HopSize)
}

// appendPathJSON appends path_json as a JSON string (`"[\"AB\",\"CD\"]"`)
// straight from the hop bytes; legacy non-uniform paths are appended as
// stored.
func appendPathJSON(b []byte, p store.Path) []byte {
	if !uniform(p) {
		return appendString(b, p.PathJSON())
	}
	n := int(p.HopSize)
	b = append(b, `"[`...)
	for i := 0; i+n <= len(p.Hops); i += n {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '\\', '"')
		for j := i; j < i+n; j++ {
			c := p.Hops[j]
			b = append(b, hexUpper[c>>4], hexUpper[c&0xF])
		}
		b = append(b, '\\', '"')
	}
	return append(b, `]"`...)
}

// appendHops appends the hops as a JSON array of strings (_parsedPath).
func appendHops(b []byte, p store.Path) []byte {
	if !uniform(p) {
		b = append(b, '[')
		for i, h := range p.Strings() {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, h)
		}
		return append(b, ']')
	}
	n := int(p.HopSize)
	b = append(b, '[')
	for i := 0; i+n <= len(p.Hops); i += n {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '"')
		for j := i; j < i+n; j++ {
			c := p.Hops[j]
			b = append(b, hexUpper[c>>4], hexUpper[c&0xF])
		}
		b = append(b, '"')
	}
	return append(b, ']')
}

// appendTimeMs appends unix ms as store.FormatTime renders it, quoted
// ("" for 0).
func appendTimeMs(b []byte, ms int64) []byte {
	b = append(b, '"')
	if ms != 0 {
		b = time.UnixMilli(ms).UTC().AppendFormat(b, "2006-01-02T15:04:05.000Z")
	}
	return append(b, '"')
}

// appendResolved appends `,"resolved_path":[…]` ("" hops → null); nothing
// when the observation has no resolved path.
func appendResolved(b []byte, r []string) []byte {
	if r == nil {
		return b
	}
	b = append(b, `,"resolved_path":[`...)
	for i, pk := range r {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendStringOrNull(b, pk)
	}
	return append(b, ']')
}

// appendObs appends an embedded observation (store.ObsJSON, not enriched).
func appendObs(b []byte, v store.ObsView) []byte {
	o := v.Obs
	b = append(b, `{"id":`...)
	b = appendInt(b, o.ID)
	b = append(b, `,"observer_id":`...)
	b = appendStringOrNull(b, v.ObserverID())
	b = append(b, `,"observer_name":`...)
	b = appendStringOrNull(b, v.ObserverName())
	b = append(b, `,"observer_iata":`...)
	b = appendStringOrNull(b, v.ObserverIATA())
	b = append(b, `,"snr":`...)
	b = appendOptFloat(b, o.SNR)
	b = append(b, `,"rssi":`...)
	b = appendOptFloat(b, o.RSSI)
	b = append(b, `,"path_json":`...)
	b = appendPathJSON(b, o.Path)
	b = appendResolved(b, o.Resolved)
	if o.Direction != "" {
		b = append(b, `,"direction":`...)
		b = appendString(b, o.Direction)
	}
	b = append(b, `,"timestamp":`...)
	b = appendTimeMs(b, o.Timestamp)
	return append(b, '}')
}

// appendPacket appends a transmission in list form (store.TxJSON).
func appendPacket(b []byte, p store.Packet) []byte {
	t := p.Tx
	b = append(b, `{"id":`...)
	b = appendInt(b, t.ID)
	b = append(b, `,"raw_hex":`...)
	b = appendStringOrNull(b, t.RawHex())
	b = append(b, `,"hash":`...)
	b = appendString(b, t.Hash)
	b = append(b, `,"first_seen":`...)
	b = appendTimeMs(b, t.FirstSeen)
	b = append(b, `,"timestamp":`...)
	b = appendTimeMs(b, t.FirstSeen)
	b = append(b, `,"route_type":`...)
	b = appendInt8OrNull(b, t.RouteType)
	b = append(b, `,"payload_type":`...)
	b = appendInt8OrNull(b, t.PayloadType)
	b = append(b, `,"decoded_json":`...)
	b = appendStringOrNull(b, t.DecodedJSON)
	b = append(b, `,"observation_count":`...)
	b = appendInt(b, int64(t.ObservationCount()))
	best := p.Best
	if o := best.Obs; o != nil {
		b = append(b, `,"observer_id":`...)
		b = appendStringOrNull(b, best.ObserverID())
		b = append(b, `,"observer_name":`...)
		b = appendStringOrNull(b, best.ObserverName())
		b = append(b, `,"observer_iata":`...)
		b = appendStringOrNull(b, best.ObserverIATA())
		b = append(b, `,"snr":`...)
		b = appendOptFloat(b, o.SNR)
		b = append(b, `,"rssi":`...)
		b = appendOptFloat(b, o.RSSI)
		b = append(b, `,"path_json":`...)
		b = appendPathJSON(b, o.Path)
		b = append(b, `,"direction":`...)
		b = appendStringOrNull(b, o.Direction)
		b = append(b, `,"_parsedPath":`...)
		if o.Path.Len() > 0 {
			b = appendHops(b, o.Path)
		} else {
			b = append(b, "null"...)
		}
		b = appendResolved(b, o.Resolved)
	} else {
		b = append(b, `,"observer_id":null,"observer_name":null,"observer_iata":null,"snr":null,"rssi":null,"path_json":null,"direction":null,"_parsedPath":null`...)
	}
	if len(p.Observations) > 0 {
		b = append(b, `,"observations":[`...)
		for i, v := range p.Observations {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendObs(b, v)
		}
		b = append(b, ']')
	}
	return append(b, '}')
}

// streamPackets writes {"packets":[…],"total":N<extra>}\n, flushing the
// buffer to w as it fills so a multi-megabyte list never sits in memory
// whole. extra is appended verbatim before the closing brace.
func streamPackets(w http.ResponseWriter, ps []store.Packet, total int, extra []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	bp := getBuf()
	defer putBuf(bp)
	b := append((*bp)[:0], `{"packets":[`...)
	for i, p := range ps {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendPacket(b, p)
		if len(b) >= flushEvery {
			if _, err := w.Write(b); err != nil {
				return // client gone
			}
			b = b[:0]
		}
	}
	b = append(b, `],"total":`...)
	b = appendInt(b, int64(total))
	b = append(b, extra...)
	b = append(b, "}\n"...)
	_, _ = w.Write(b)
	*bp = b
}
