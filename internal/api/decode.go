package api

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/corescope/corescope/internal/meshcore"
)

// decodeRequest is the body of POST /api/decode and POST /api/packets.
type decodeRequest struct {
	Hex      string   `json:"hex"`
	Observer string   `json:"observer"`
	SNR      *float64 `json:"snr"`
	RSSI     *float64 `json:"rssi"`
	Region   string   `json:"region"`
	Hash     *string  `json:"hash"` // accepted, unused (the content hash is computed)
}

// decodeResponse is POST /api/decode's answer: the codec result plus the
// byte breakdown (API.md §5.4 [improve]).
type decodeResponse struct {
	Decoded   meshcore.DecodeResult `json:"decoded"`
	Breakdown breakdownJSON         `json:"breakdown"`
}

// decodeHex parses the body and decodes the packet, mapping every failure
// to a 400 with the decoder's message.
func decodeHex(r *http.Request, keys meshcore.KeyStore) (decodeRequest, *meshcore.Packet, error) {
	var req decodeRequest
	if err := decodeBody(r, maxJSONBodyBytes, &req); err != nil {
		return req, nil, err
	}
	if strings.TrimSpace(req.Hex) == "" {
		return req, nil, badRequest("hex is required")
	}
	p, err := meshcore.DecodeHex(req.Hex, meshcore.Options{Keys: keys})
	if err != nil {
		return req, nil, badRequest("%s", err.Error())
	}
	return req, p, nil
}

// decode serves POST /api/decode (public).
func (s *Server) decode(w http.ResponseWriter, r *http.Request) {
	_, p, err := decodeHex(r, s.keys)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, decodeResponse{
		Decoded:   p.Result(),
		Breakdown: breakdownOf(p.Raw),
	})
}

// Publisher hands a manually injected packet to the ingestor (the only
// database writer) through the local MQTT broker.
type Publisher interface {
	Publish(ctx context.Context, topic string, payload []byte) error
}

// injectResponse is POST /api/packets' answer. id stays 0: the row is
// written asynchronously by the ingestor; hash finds it afterwards.
type injectResponse struct {
	ID      int64                 `json:"id"`
	Hash    string                `json:"hash"`
	Decoded meshcore.DecodeResult `json:"decoded"`
}

// manualMessage is the meshcoretomqtt packet message the ingestor parses
// (INGEST.md §13).
type manualMessage struct {
	Raw    string   `json:"raw"`
	SNR    *float64 `json:"SNR,omitempty"`
	RSSI   *float64 `json:"RSSI,omitempty"`
	Origin string   `json:"origin"`
}

// injectPacket serves POST /api/packets (API key): decode, then publish on
// meshcore/<region|MANUAL>/<observer|manual>/packets for the ingestor.
func (s *Server) injectPacket(w http.ResponseWriter, r *http.Request) {
	req, p, err := decodeHex(r, s.keys)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if s.pub == nil {
		s.writeError(w, r, statusError(http.StatusServiceUnavailable, "packet injection unavailable: no MQTT broker configured"))
		return
	}
	region := topicSegment(req.Region, "MANUAL")
	observer := topicSegment(req.Observer, "manual")
	topic := fmt.Sprintf("meshcore/%s/%s/packets", strings.ToUpper(region), observer)
	msg, err := json.Marshal(manualMessage{Raw: strings.ToUpper(hex.EncodeToString(p.Raw)), SNR: req.SNR, RSSI: req.RSSI, Origin: "manual"})
	if err != nil {
		s.writeError(w, r, fmt.Errorf("encode manual packet: %w", err))
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
	defer cancel()
	if err := s.pub.Publish(ctx, topic, msg); err != nil {
		s.log.Error("publish manual packet", "topic", topic, "err", err)
		s.writeError(w, r, statusError(http.StatusServiceUnavailable, "could not hand the packet to the ingestor (MQTT broker unreachable)"))
		return
	}
	s.log.Info("manual packet published", "hash", p.Hash, "topic", topic)
	writeJSON(w, http.StatusOK, injectResponse{ID: 0, Hash: p.Hash, Decoded: p.Result()})
}

// topicSegment makes a user value safe as one MQTT topic level.
func topicSegment(v, def string) string {
	v = strings.TrimSpace(v)
	if v == "" || strings.ContainsAny(v, "/+#\x00") || len(v) > 128 {
		return def
	}
	return v
}
