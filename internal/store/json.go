package store

// JSON-ready result types (API.md §0.6 shapes, field names are the contract).
// Nullable values are pointers so `null` is emitted; lists are never nil.

// TxJSON is a transmission in list form (API.md §0.6 "Transmission").
type TxJSON struct {
	ID               int64     `json:"id"`
	RawHex           *string   `json:"raw_hex"`
	Hash             string    `json:"hash"`
	FirstSeen        string    `json:"first_seen"`
	Timestamp        string    `json:"timestamp"`
	RouteType        *int      `json:"route_type"`
	PayloadType      *int      `json:"payload_type"`
	DecodedJSON      *string   `json:"decoded_json"`
	ObservationCount int       `json:"observation_count"`
	ObserverID       *string   `json:"observer_id"`
	ObserverName     *string   `json:"observer_name"`
	ObserverIATA     *string   `json:"observer_iata"`
	SNR              *float64  `json:"snr"`
	RSSI             *float64  `json:"rssi"`
	PathJSON         *string   `json:"path_json"`
	Direction        *string   `json:"direction"`
	ParsedPath       []string  `json:"_parsedPath"` // null when the path is empty
	ResolvedPath     []*string `json:"resolved_path,omitempty"`
	Observations     []ObsJSON `json:"observations,omitempty"`
}

// ObsJSON is an observation. Embedded in a transmission it carries id, observer,
// snr, rssi, path_json, timestamp, direction, resolved_path; the enriched
// standalone form (packet detail, batch observations, traces) also carries
// transmission_id, hash and raw_hex.
type ObsJSON struct {
	ID             int64     `json:"id"`
	TransmissionID int64     `json:"transmission_id,omitempty"`
	Hash           string    `json:"hash,omitempty"`
	ObserverID     *string   `json:"observer_id"`
	ObserverName   *string   `json:"observer_name"`
	ObserverIATA   *string   `json:"observer_iata"`
	SNR            *float64  `json:"snr"`
	RSSI           *float64  `json:"rssi"`
	PathJSON       *string   `json:"path_json"`
	ResolvedPath   []*string `json:"resolved_path,omitempty"`
	Direction      *string   `json:"direction,omitempty"`
	RawHex         string    `json:"raw_hex,omitempty"`
	Timestamp      string    `json:"timestamp"`
}

func strPtr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func int8Ptr(v int8) *int {
	if v < 0 {
		return nil
	}
	i := int(v)
	return &i
}

func resolvedJSON(r []string) []*string {
	if r == nil {
		return nil
	}
	out := make([]*string, len(r))
	for i, pk := range r {
		out[i] = strPtr(pk)
	}
	return out
}

// JSON renders the observation; enriched adds transmission_id, hash and raw_hex.
func (v ObsView) JSON(enriched bool) ObsJSON {
	o := v.Obs
	pj := o.Path.PathJSON()
	j := ObsJSON{
		ID:           o.ID,
		ObserverID:   strPtr(v.ObserverID()),
		ObserverName: strPtr(v.ObserverName()),
		ObserverIATA: strPtr(v.ObserverIATA()),
		SNR:          o.SNR.Ptr(),
		RSSI:         o.RSSI.Ptr(),
		PathJSON:     &pj,
		ResolvedPath: resolvedJSON(o.Resolved),
		Direction:    strPtr(o.Direction),
		Timestamp:    FormatTime(o.Timestamp),
	}
	if enriched {
		j.TransmissionID = o.Tx.ID
		j.Hash = o.Tx.Hash
		j.RawHex = o.RawHex()
	}
	return j
}

// JSON renders the packet in list form (observations included when the Packet
// was built with them).
func (p Packet) JSON() TxJSON {
	t := p.Tx
	fs := FormatTime(t.FirstSeen)
	j := TxJSON{
		ID:               t.ID,
		RawHex:           strPtr(t.RawHex()),
		Hash:             t.Hash,
		FirstSeen:        fs,
		Timestamp:        fs,
		RouteType:        int8Ptr(t.RouteType),
		PayloadType:      int8Ptr(t.PayloadType),
		DecodedJSON:      strPtr(t.DecodedJSON),
		ObservationCount: t.ObservationCount(),
	}
	if b := p.Best.Obs; b != nil {
		pj := b.Path.PathJSON()
		j.ObserverID = strPtr(p.Best.ObserverID())
		j.ObserverName = strPtr(p.Best.ObserverName())
		j.ObserverIATA = strPtr(p.Best.ObserverIATA())
		j.SNR = b.SNR.Ptr()
		j.RSSI = b.RSSI.Ptr()
		j.PathJSON = &pj
		j.Direction = strPtr(b.Direction)
		if b.Path.Len() > 0 {
			j.ParsedPath = b.Path.Strings()
		}
		j.ResolvedPath = resolvedJSON(b.Resolved)
	}
	if p.Observations != nil {
		j.Observations = make([]ObsJSON, len(p.Observations))
		for i, v := range p.Observations {
			j.Observations[i] = v.JSON(false)
		}
	}
	return j
}

func packetsJSON(ps []Packet) []TxJSON {
	out := make([]TxJSON, len(ps))
	for i, p := range ps {
		out[i] = p.JSON()
	}
	return out
}
