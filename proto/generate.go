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

// The protos import google/protobuf/struct.proto, which must be on protoc's
// include path (Debian: libprotobuf-dev).
//go:generate protoc --go_out=. --go_opt=paths=source_relative api.proto analytics.proto nodeanalytics.proto apimisc.proto ops.proto
