package meshcore_test

import (
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/corescope/corescope/internal/channel"
	"github.com/corescope/corescope/internal/meshcore"
)

// fixtureRow is one transmission of CoreScope's fixture DB
// (testdata/corescope-fixture.db at the repository root), extracted to
// testdata/fixture_rows.json: raw_hex for every row, and the stored
// decoded_json for GRP_TXT rows. The rows were written by several older
// CoreScope versions, so only the properties below are compared (older rows
// differ from 13bdee57 in legacy hashes, missing hasFeat flags, CONTROL
// stored as UNKNOWN; see PROTOCOL.md §4 and §6).
type fixtureRow struct {
	ID      int               `json:"id"`
	RawHex  string            `json:"raw_hex"`
	Decoded *meshcore.Payload `json:"decoded_json"`
}

func loadFixtureRows(t testing.TB) []fixtureRow {
	data, err := os.ReadFile("testdata/fixture_rows.json")
	if err != nil {
		t.Fatalf("read fixture rows: %v", err)
	}
	var rows []fixtureRow
	if err := json.Unmarshal(data, &rows); err != nil {
		t.Fatalf("parse fixture rows: %v", err)
	}
	if len(rows) != 499 {
		t.Fatalf("got %d fixture rows, want 499", len(rows))
	}
	return rows
}

// TestFixtureRowsDecodeAndTile decodes every real packet of the fixture DB:
// all decode except the one whose path_len 0x65 is invalid (stored by an
// old CoreScope that did not check it), and every breakdown tiles.
func TestFixtureRowsDecodeAndTile(t *testing.T) {
	kr, err := channel.New(channel.Config{})
	if err != nil {
		t.Fatal(err)
	}
	var failed []int
	for _, r := range loadFixtureRows(t) {
		p, err := meshcore.DecodeHex(r.RawHex, meshcore.Options{Keys: kr})
		if err != nil {
			if !errors.Is(err, meshcore.ErrMalformed) {
				t.Errorf("row %d: error %v does not wrap ErrMalformed", r.ID, err)
			}
			failed = append(failed, r.ID)
			continue
		}
		checkTiling(t, p.Raw, p.Breakdown())
		if a, ok := p.Advert(); ok && (!a.SignatureChecked || !a.SignatureValid) {
			t.Errorf("row %d: real advert signature checked=%v valid=%v", r.ID, a.SignatureChecked, a.SignatureValid)
		}
	}
	if len(failed) != 1 || failed[0] != 465 {
		t.Errorf("rows failing to decode: %v, want only [465] (path_len 0x65)", failed)
	}
}

// TestDefaultKeyringDecryptsFixtureChannels checks that the built-in keys
// (Public + CommonHashtags) decrypt every channel message CoreScope
// decrypted with its rainbow table, to the same sender, text and timestamp,
// and that nothing it could not decrypt turns into text.
func TestDefaultKeyringDecryptsFixtureChannels(t *testing.T) {
	kr, err := channel.New(channel.Config{})
	if err != nil {
		t.Fatal(err)
	}
	decrypted := 0
	for _, r := range loadFixtureRows(t) {
		if r.Decoded == nil || r.ID == 465 { // 465: invalid path_len, see above
			continue
		}
		p, err := meshcore.DecodeHex(r.RawHex, meshcore.Options{Keys: kr})
		if err != nil {
			t.Fatalf("row %d: %v", r.ID, err)
		}
		want, got := r.Decoded, &p.Payload
		if want.Type != "CHAN" {
			if got.Type == "CHAN" {
				t.Errorf("row %d: decrypted %s, CoreScope could not", r.ID, p.PayloadJSON())
			}
			continue
		}
		decrypted++
		if got.Type != "CHAN" || got.Text != want.Text || got.Sender != want.Sender ||
			got.SenderTimestamp != want.SenderTimestamp || !strings.EqualFold(got.Channel, want.Channel) {
			t.Errorf("row %d:\n got %s\nwant channel %q sender %q text %q ts %d", r.ID, p.PayloadJSON(),
				want.Channel, want.Sender, want.Text, want.SenderTimestamp)
		}
	}
	if decrypted != 81 {
		t.Errorf("fixture has %d decrypted rows, want 81", decrypted)
	}
}
