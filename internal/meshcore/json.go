package meshcore

import (
	"encoding/json"
	"strconv"
)

// MarshalJSON renders the header as CoreScope does, with type names.
func (h Header) MarshalJSON() ([]byte, error) {
	b := make([]byte, 0, 128)
	b = append(b, `{"routeType":`...)
	b = strconv.AppendInt(b, int64(h.RouteType), 10)
	b = append(b, `,"routeTypeName":"`...)
	b = append(b, h.RouteTypeName()...)
	b = append(b, `","payloadType":`...)
	b = strconv.AppendInt(b, int64(h.PayloadType), 10)
	b = append(b, `,"payloadTypeName":"`...)
	b = append(b, h.PayloadTypeName()...)
	b = append(b, `","payloadVersion":`...)
	b = strconv.AppendInt(b, int64(h.PayloadVersion), 10)
	b = append(b, '}')
	return b, nil
}

// Code1Hex returns code 1 as its two wire bytes, upper-case hex ("FA1A").
func (tc TransportCodes) Code1Hex() string { return wireHex(tc.Code1) }

// Code2Hex returns code 2 as its two wire bytes, upper-case hex.
func (tc TransportCodes) Code2Hex() string { return wireHex(tc.Code2) }

func wireHex(v uint16) string { return upperHex([]byte{byte(v), byte(v >> 8)}) }

// MarshalJSON renders {"code1":"FA1A","code2":"0000"} (wire byte order).
func (tc TransportCodes) MarshalJSON() ([]byte, error) {
	return []byte(`{"code1":"` + tc.Code1Hex() + `","code2":"` + tc.Code2Hex() + `"}`), nil
}

// PayloadJSON returns the decoded_json column: the payload object only.
func (p *Packet) PayloadJSON() []byte {
	b, err := json.Marshal(&p.Payload)
	if err != nil {
		// Only NaN/Inf floats could fail, and the decoder never makes them.
		return []byte(`{"type":"` + p.Payload.Type + `","error":"encode failed"}`)
	}
	return b
}

type packetJSON struct {
	Header         Header          `json:"header"`
	TransportCodes *TransportCodes `json:"transportCodes"`
	Path           Path            `json:"path"`
	Payload        *Payload        `json:"payload"`
	Raw            string          `json:"raw"`
	Anomaly        string          `json:"anomaly,omitempty"`
}

// MarshalJSON renders CoreScope's full DecodePacket result (PROTOCOL.md §5.1).
func (p *Packet) MarshalJSON() ([]byte, error) {
	return json.Marshal(packetJSON{
		Header:         p.Header,
		TransportCodes: p.TransportCodes,
		Path:           p.Path,
		Payload:        &p.Payload,
		Raw:            upperHex(p.Raw),
		Anomaly:        p.Anomaly,
	})
}
