// Package corescopepb is the API contract: api.proto describes every JSON
// response of internal/api and the WebSocket message; the generated Go types
// are used by the contract test (contract_test.go), which decodes real
// responses with protojson and rejects unknown fields.
//
// Regenerate after editing api.proto (protoc on PATH, and
// `go install google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.12`):
//
//	go generate ./proto
package corescopepb

//go:generate protoc --go_out=. --go_opt=paths=source_relative api.proto

// analytics.proto imports nothing, so it also generates where protoc lacks the
// well-known types (Debian's protobuf-compiler without libprotobuf-dev).
//go:generate protoc --go_out=. --go_opt=paths=source_relative analytics.proto

// nodeanalytics.proto imports api.proto, which needs google/protobuf/struct.proto
// on protoc's include path (Debian: libprotobuf-dev, or -I a directory holding it).
//go:generate protoc --go_out=. --go_opt=paths=source_relative nodeanalytics.proto
