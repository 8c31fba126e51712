package meshsim

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// WriteNDJSON writes m as one line {"time": ..., "topic": ..., "payload":
// {...}}; the payload is embedded as the JSON object that goes on the wire,
// time (RFC 3339, omitted when zero) is when the message was sent. This is
// the format `corescope-ingestor import` reads, which stores each message
// with that time.
func WriteNDJSON(w io.Writer, m Message) error {
	topic, err := json.Marshal(m.Topic)
	if err != nil {
		return fmt.Errorf("encode topic: %w", err)
	}
	var b bytes.Buffer
	b.Grow(len(topic) + len(m.Payload) + 64)
	b.WriteByte('{')
	if !m.Time.IsZero() {
		b.WriteString(`"time":"`)
		b.WriteString(m.Time.UTC().Format(time.RFC3339Nano))
		b.WriteString(`",`)
	}
	b.WriteString(`"topic":`)
	b.Write(topic)
	b.WriteString(`,"payload":`)
	b.Write(m.Payload)
	b.WriteString("}\n")
	if _, err := w.Write(b.Bytes()); err != nil {
		return fmt.Errorf("write message: %w", err)
	}
	return nil
}

// maxLine bounds one NDJSON line (a packet message is well under 2 KB).
const maxLine = 1 << 20

// ReadNDJSON calls fn for every message in r, in file order. Only Topic,
// Payload, Kind and Time (when the line has one) are set. A malformed line is an error naming its line
// number; fn's error stops the read and is returned.
func ReadNDJSON(r io.Reader, fn func(Message) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), maxLine)
	line := 0
	for sc.Scan() {
		line++
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		var rec struct {
			Time    time.Time       `json:"time"`
			Topic   string          `json:"topic"`
			Payload json.RawMessage `json:"payload"`
		}
		if err := json.Unmarshal(b, &rec); err != nil {
			return fmt.Errorf("line %d: %w", line, err)
		}
		if rec.Topic == "" || len(rec.Payload) == 0 {
			return fmt.Errorf("line %d: need both topic and payload", line)
		}
		payload := rec.Payload
		// A payload written as a JSON string is published as its contents.
		if payload[0] == '"' {
			var s string
			if err := json.Unmarshal(payload, &s); err != nil {
				return fmt.Errorf("line %d: payload: %w", line, err)
			}
			payload = []byte(s)
		}
		m := Message{Topic: rec.Topic, Payload: append([]byte(nil), payload...), Kind: KindPacket, Time: rec.Time}
		if strings.HasSuffix(rec.Topic, "/status") {
			m.Kind = KindStatus
		}
		if err := fn(m); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return fmt.Errorf("line %d: longer than %d bytes: %w", line+1, maxLine, err)
		}
		return fmt.Errorf("read line %d: %w", line+1, err)
	}
	return nil
}
