package meshsim

import (
	"io"
	"testing"
)

// BenchmarkGenerateReference measures generating the whole reference
// workload (56,000 transmissions) as NDJSON, the way `meshsim generate
// --preset reference` does. Run: go test -run=^$ -bench=GenerateReference -benchtime=1x ./internal/meshsim
func BenchmarkGenerateReference(b *testing.B) {
	for i := 0; i < b.N; i++ {
		s := New(ReferenceOptions(1, testEnd))
		msgs := 0
		err := s.Each(ReferenceTransmissions, func(m Message) error {
			msgs++
			return WriteNDJSON(io.Discard, m)
		})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(msgs), "messages/op")
	}
}
