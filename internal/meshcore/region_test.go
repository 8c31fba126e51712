package meshcore_test

import (
	"testing"

	"github.com/corescope/corescope/internal/meshcore"
)

func TestMatchRegionFindsOttawaScope(t *testing.T) {
	const hexPkt = "14FA1A0000034E927D596EA23622BCB4D5945E49348165AF7DABA3F5DCEED85F430E0856DB5B591E86AB3363BC00E1BA30776698F72FC57C7168E66A4875CDB710F3C175FC2B3FE75A036EF14FA59A709062D3A9FF7014F2E7A8512C"
	p, err := meshcore.DecodeHex(hexPkt, meshcore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !p.Scoped() {
		t.Fatal("packet with code1 FA1A not scoped")
	}
	regions := []meshcore.Region{meshcore.NewRegion("toronto"), meshcore.NewRegion(" ottawa ")}
	if got := p.MatchRegion(regions); got != "#ottawa" {
		t.Errorf("MatchRegion = %q, want #ottawa", got)
	}
	if got := p.MatchRegion(regions[:1]); got != "" {
		t.Errorf("MatchRegion without ottawa = %q, want empty", got)
	}
}

func TestGroupColumnValue(t *testing.T) {
	g := meshcore.GroupInfo{ChannelHashHex: "6E", DecryptionStatus: meshcore.DecryptionNoKey}
	if got := g.ColumnValue(); got != "enc_6E" {
		t.Errorf("got %q, want enc_6E", got)
	}
	g = meshcore.GroupInfo{ChannelHashHex: "11", DecryptionStatus: meshcore.Decrypted, Channel: "Public"}
	if got := g.ColumnValue(); got != "Public" {
		t.Errorf("got %q, want Public", got)
	}
}
