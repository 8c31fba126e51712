package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

const (
	goldenTxtMsg = "0A00D69FD7A5A7475DB07337749AE61FA53A4788E976"
	goldenHash   = "b1f07307cbc01ce5"
)

func decodeLines(t *testing.T, out string) []map[string]json.RawMessage {
	t.Helper()
	var lines []map[string]json.RawMessage
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		var m map[string]json.RawMessage
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("line %q is not a JSON object: %v", l, err)
		}
		lines = append(lines, m)
	}
	return lines
}

func TestRunDecodeGoodAndBadInput(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := runDecode([]string{goldenTxtMsg, "zz", "0A 00 D6 9F D7 A5 A7 47 5D B0 73 37 74 9A E6 1F A5 3A 47 88 E9 76", "C0"}, &stdout, &stderr)
	if code != 1 {
		t.Errorf("exit code %d, want 1 (some inputs failed); stderr %s", code, stderr.String())
	}
	lines := decodeLines(t, stdout.String())
	if len(lines) != 4 {
		t.Fatalf("got %d lines, want 4:\n%s", len(lines), stdout.String())
	}
	for _, i := range []int{0, 2} {
		var hash string
		_ = json.Unmarshal(lines[i]["hash"], &hash)
		if hash != goldenHash {
			t.Errorf("line %d hash %q, want %s", i, hash, goldenHash)
		}
		var dec struct {
			Header  map[string]any `json:"header"`
			Path    map[string]any `json:"path"`
			Payload map[string]any `json:"payload"`
		}
		if err := json.Unmarshal(lines[i]["decoded"], &dec); err != nil {
			t.Fatal(err)
		}
		if dec.Header["payloadTypeName"] != "TXT_MSG" || dec.Payload["destHash"] != "d6" || dec.Path == nil {
			t.Errorf("line %d decoded = %s", i, lines[i]["decoded"])
		}
		var bd []struct {
			Offset, Length int
			Kind           string
		}
		if err := json.Unmarshal(lines[i]["breakdown"], &bd); err != nil || len(bd) < 5 {
			t.Errorf("line %d breakdown %s (%v)", i, lines[i]["breakdown"], err)
		}
	}
	for _, i := range []int{1, 3} {
		if len(lines[i]) != 1 || len(lines[i]["error"]) < 3 {
			t.Errorf("line %d = %v, want only a non-empty error", i, lines[i])
		}
	}
}

func TestRunDecodeAllGoodExitsZeroAndDecrypts(t *testing.T) {
	// Public channel GRP_TXT from the vectors; Public is a built-in key.
	const grp = "150011C3C1354D619BAE9590E4D177DB7EEAF982F5BDCF78005D75157D9535FA90178F785D"
	var stdout, stderr bytes.Buffer
	code := runDecodeFrom(nil, strings.NewReader(goldenTxtMsg+"\n\n"+grp+"\n"), &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit code %d, want 0; stdout %s stderr %s", code, stdout.String(), stderr.String())
	}
	lines := decodeLines(t, stdout.String())
	if len(lines) != 2 {
		t.Fatalf("got %d lines, want 2", len(lines))
	}
	if !strings.Contains(string(lines[1]["decoded"]), `"decryptionStatus":"decrypted"`) {
		t.Errorf("Public GRP_TXT not decrypted with built-in keys: %s", lines[1]["decoded"])
	}

	stdout.Reset()
	code = runDecodeFrom([]string{"--no-builtin-keys", grp}, nil, &stdout, &stderr)
	if code != 0 || !strings.Contains(stdout.String(), `"decryptionStatus":"no_key"`) {
		t.Errorf("--no-builtin-keys: code %d output %s", code, stdout.String())
	}
}

func TestRunDecodeFlags(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := runDecode([]string{"--help"}, &stdout, &stderr); code != 0 || !strings.Contains(stderr.String(), "Usage: ingestor decode") {
		t.Errorf("--help: code %d stderr %q", code, stderr.String())
	}
	stderr.Reset()
	if code := runDecode([]string{"--key", "nokey", goldenTxtMsg}, &stdout, &stderr); code != 2 {
		t.Errorf("bad --key: code %d, want 2", code)
	}
	stderr.Reset()
	if code := runDecode([]string{"--key", "#x=0011", goldenTxtMsg}, &stdout, &stderr); code != 2 {
		t.Errorf("short --key: code %d, want 2", code)
	}
}
