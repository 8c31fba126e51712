package main

import (
	"bytes"
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func noenv(string) string { return "" }

func TestRunHelpAndVersion(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"-h"}} {
		var out, errb bytes.Buffer
		if err := run(context.Background(), args, noenv, &out, &errb); err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		if !strings.Contains(out.String(), "Usage:") || !strings.Contains(out.String(), "-config") {
			t.Errorf("%v printed %q", args, out.String())
		}
	}
	var out bytes.Buffer
	if err := run(context.Background(), []string{"--version"}, noenv, &out, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out.String(), "corescope-ingestor ") {
		t.Errorf("--version printed %q", out.String())
	}
}

func TestRunRejectsBadInput(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "config.json")
	if err := os.WriteFile(bad, []byte(`{"dbPath": `), 0o600); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := run(context.Background(), []string{"-config", bad}, noenv, &out, &out); err == nil || !strings.Contains(err.Error(), "config.json") {
		t.Errorf("unparseable config: err = %v, want one naming the file", err)
	}
	if err := run(context.Background(), []string{"-nope"}, noenv, &out, &out); err == nil {
		t.Error("unknown flag accepted")
	}
	if err := run(context.Background(), []string{"extra"}, noenv, &out, &out); err == nil {
		t.Error("stray argument accepted")
	}
}

// TestRunFailsWhenNoSourceConnects: with every broker unreachable the
// ingestor exits with an error naming the sources (the supervisor restarts it).
func TestRunFailsWhenNoSourceConnects(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.json")
	body := `{"dbPath": "` + filepath.Join(dir, "db", "meshcore.db") + `",
"mqttSources": [{"name": "nowhere", "broker": "tcp://127.0.0.1:1", "connectTimeoutSec": 1}]}`
	if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	err := run(context.Background(), []string{"-config", cfg}, noenv, &out, &out)
	if err == nil || !strings.Contains(err.Error(), "nowhere") {
		t.Errorf("err = %v, want no-source-connected error naming the source", err)
	}
}

// TestRunFailsWhenEmbeddedBrokerCannotListen: a taken embeddedBroker port is
// a startup error, not a silent run without a broker.
func TestRunFailsWhenEmbeddedBrokerCannotListen(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.json")
	body := `{"dbPath": "` + filepath.Join(dir, "meshcore.db") + `", "embeddedBroker": "` + l.Addr().String() + `"}`
	if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	err = run(context.Background(), []string{"-config", cfg}, noenv, &out, &out)
	if err == nil || !strings.Contains(err.Error(), "embedded broker") {
		t.Errorf("err = %v, want an embedded broker listen error", err)
	}
}
