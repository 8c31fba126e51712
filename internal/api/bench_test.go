package api

import (
	"encoding/json"
	"io"
	"net/http/httptest"
	"testing"

	"github.com/corescope/corescope/internal/store"
)

// The packet list encoders on the original's fixture database (499
// transmissions with observations): the streaming append encoder the
// handler uses vs the reference path (build []TxJSON, encoding/json).
//
//	go test -run '^$' -bench PacketList -benchmem ./internal/api/

func BenchmarkPacketListStreamEncoder(b *testing.B) {
	st := runStore(b, fixtureDB(b), nil)
	q := store.PacketQuery{Limit: 2000, Expand: true}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		page := st.PacketViews(q)
		rec := httptest.NewRecorder()
		rec.Body = nil // discard: measure encoding, not buffering
		streamPackets(discardWriter{rec}, page.Packets, page.Total, nil)
	}
}

func BenchmarkPacketListReflectEncoder(b *testing.B) {
	st := runStore(b, fixtureDB(b), nil)
	q := store.PacketQuery{Limit: 2000, Expand: true}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := json.NewEncoder(io.Discard).Encode(st.Packets(q)); err != nil {
			b.Fatal(err)
		}
	}
}

type discardWriter struct{ *httptest.ResponseRecorder }

func (discardWriter) Write(p []byte) (int, error) { return len(p), nil }
