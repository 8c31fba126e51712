package meshcore_test

import (
	"testing"

	"github.com/corescope/corescope/internal/channel"
	"github.com/corescope/corescope/internal/meshcore"
)

// benchVectors picks one real vector per payload type.
var benchVectors = []struct{ bench, vector string }{
	{"TXT_MSG", "TXT_MSG flood 4 hops"},
	{"REQ", "REQ flood #1"},
	{"ACK", "ACK flood with 4 hops"},
	{"ADVERT", "ADVERT repeater flood 1-byte path #1"},
	{"GRP_TXT_no_key", "GRP_TXT undecryptable (no key) #1"},
	{"GRP_TXT_decrypt", "Public channel GRP_TXT decrypted (emoji sender)"},
	{"GRP_DATA_decrypt", "synthetic GRP_DATA flood #test dev data_type"},
	{"ANON_REQ", "ANON_REQ flood one hop"},
	{"PATH", "PATH flood 5 hops"},
	{"TRACE", "TRACE direct, 4 SNR bytes, real"},
	{"MULTIPART", "synthetic MULTIPART inner ACK remaining 1"},
	{"CONTROL", "CONTROL DISCOVER_RESP repeater with full public key"},
	{"RAW_CUSTOM", "synthetic RAW_CUSTOM direct"},
}

// BenchmarkDecode decodes one packet per payload type with the default
// keyring (Public + built-in hashtags), as the ingestor does.
func BenchmarkDecode(b *testing.B) {
	vs := loadVectors(b)
	kr, err := channel.New(channel.Config{Keys: map[string]string{"#test": "9cd8fcf22a47333b591d96a2b848b73f"}})
	if err != nil {
		b.Fatal(err)
	}
	for _, bv := range benchVectors {
		var raw []byte
		for _, v := range vs {
			if v.Name == bv.vector {
				raw, _ = meshcore.ParseHex(v.Hex)
			}
		}
		if raw == nil {
			b.Fatalf("vector %q not found", bv.vector)
		}
		run := func(name string, opts meshcore.Options) {
			b.Run(name, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if _, err := meshcore.Decode(raw, opts); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
		run(bv.bench, meshcore.Options{Keys: kr})
		if bv.bench == "ADVERT" {
			run("ADVERT_skip_signature", meshcore.Options{Keys: kr, SkipSignature: true})
		}
	}
}

// BenchmarkOutputs measures what the ingestor and API do after Decode.
func BenchmarkOutputs(b *testing.B) {
	var raw []byte
	for _, v := range loadVectors(b) {
		if v.Name == "ADVERT repeater flood 1-byte path #1" {
			raw, _ = meshcore.ParseHex(v.Hex)
		}
	}
	p, err := meshcore.Decode(raw, meshcore.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Run("PayloadJSON_ADVERT", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = p.PayloadJSON()
		}
	})
	b.Run("Breakdown_ADVERT", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = p.Breakdown()
		}
	})
	b.Run("ContentHash_ADVERT", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := meshcore.ContentHash(raw); err != nil {
				b.Fatal(err)
			}
		}
	})
}
