package meshcore_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"

	"github.com/corescope/corescope/internal/channel"
	"github.com/corescope/corescope/internal/meshcore"
)

// FuzzDecode checks the decoder's invariants on arbitrary bytes: no panic,
// errors wrap ErrMalformed, the breakdown tiles the packet, the hash is
// stable and agrees with ContentHash, and the JSON outputs are valid.
func FuzzDecode(f *testing.F) {
	for _, v := range loadVectors(f) {
		if raw, err := meshcore.ParseHex(v.Hex); err == nil {
			f.Add(raw)
		}
	}
	for _, r := range loadFixtureRows(f) {
		if raw, err := meshcore.ParseHex(r.RawHex); err == nil {
			f.Add(raw)
		}
	}
	f.Add([]byte{})
	f.Add([]byte{0x00})
	f.Add([]byte{0xFF, 0xFF})
	kr, err := channel.New(channel.Config{})
	if err != nil {
		f.Fatalf("keyring: %v", err)
	}
	opts := meshcore.Options{Keys: kr}
	f.Fuzz(func(t *testing.T, raw []byte) {
		orig := bytes.Clone(raw)
		p, err := meshcore.Decode(raw, opts)
		h, herr := meshcore.ContentHash(raw)
		if err != nil {
			if !errors.Is(err, meshcore.ErrMalformed) {
				t.Fatalf("error %v does not wrap ErrMalformed", err)
			}
			if herr == nil {
				t.Fatalf("ContentHash accepted a packet Decode rejected: %v", err)
			}
			if _, berr := meshcore.Breakdown(raw); berr == nil {
				t.Fatalf("Breakdown accepted a packet Decode rejected")
			}
			return
		}
		if herr != nil || h != p.Hash || len(h) != 16 {
			t.Fatalf("ContentHash = %q, %v; Decode hash %q", h, herr, p.Hash)
		}
		checkTiling(t, raw, p.Breakdown())
		if !json.Valid(p.PayloadJSON()) {
			t.Fatalf("invalid payload JSON %s", p.PayloadJSON())
		}
		if b, err := json.Marshal(p); err != nil || !json.Valid(b) {
			t.Fatalf("packet JSON: %v", err)
		}
		if b, err := json.Marshal(p.Result()); err != nil || !json.Valid(b) {
			t.Fatalf("result JSON: %v", err)
		}
		if p.PathHops() == nil {
			t.Fatalf("PathHops is nil")
		}
		if !bytes.Equal(raw, orig) {
			t.Fatalf("Decode modified its input")
		}
		p2, err := meshcore.Decode(raw, opts)
		if err != nil || p2.Hash != p.Hash || !bytes.Equal(p2.PayloadJSON(), p.PayloadJSON()) {
			t.Fatalf("second decode differs: %v", err)
		}
	})
}
