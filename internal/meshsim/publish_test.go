package meshsim

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/corescope/corescope/internal/mqtttest"
)

// subscriber collects every message on meshcore/# from a real broker.
type subscriber struct {
	mu   sync.Mutex
	got  []Message
	done chan struct{}
	want int
}

func subscribe(t *testing.T, url string, want int) *subscriber {
	t.Helper()
	s := &subscriber{done: make(chan struct{}), want: want}
	opts := mqtt.NewClientOptions().AddBroker(url).SetClientID(fmt.Sprintf("meshsim-test-%d", time.Now().UnixNano())).
		SetCleanSession(true).SetOrderMatters(true)
	c := mqtt.NewClient(opts)
	if tok := c.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("subscriber connect: %v", tok.Error())
	}
	t.Cleanup(func() { c.Disconnect(100) })
	tok := c.Subscribe("meshcore/#", 1, func(_ mqtt.Client, m mqtt.Message) {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.got = append(s.got, Message{Topic: m.Topic(), Payload: append([]byte(nil), m.Payload()...)})
		if len(s.got) == s.want {
			close(s.done)
		}
	})
	if !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("subscribe: %v", tok.Error())
	}
	return s
}

func (s *subscriber) wait(t *testing.T) []Message {
	t.Helper()
	select {
	case <-s.done:
	case <-time.After(60 * time.Second):
		s.mu.Lock()
		n := len(s.got)
		s.mu.Unlock()
		t.Fatalf("received %d of %d messages before the deadline", n, s.want)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.got...)
}

func TestPublishDeliversEveryMessageInOrderToARealBroker(t *testing.T) {
	b := mqtttest.Start(t)
	msgs := smallSim(11).Generate(150)
	sub := subscribe(t, b.URL, len(msgs))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := Publish(ctx, b.URL, msgs, 0); err != nil {
		t.Fatalf("Publish: %v", err)
	}
	got := sub.wait(t)
	for i := range msgs {
		if got[i].Topic != msgs[i].Topic || !bytes.Equal(got[i].Payload, msgs[i].Payload) {
			t.Fatalf("message %d: got %s %s, want %s %s", i, got[i].Topic, got[i].Payload, msgs[i].Topic, msgs[i].Payload)
		}
	}
}

func TestPublishReportsAnUnreachableBroker(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	// Port 1 on loopback: nothing listens there.
	err := Publish(ctx, "tcp://127.0.0.1:1", smallSim(1).Generate(1), 0)
	if err == nil || !strings.Contains(err.Error(), "connect") {
		t.Fatalf("Publish to a dead broker: %v, want a connect error", err)
	}
}

func TestPublishHonoursTheRate(t *testing.T) {
	b := mqtttest.Start(t)
	msgs := smallSim(12).Generate(10)[:20]
	sub := subscribe(t, b.URL, len(msgs))
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := Publish(ctx, b.URL, msgs, 40); err != nil {
		t.Fatalf("Publish: %v", err)
	}
	sub.wait(t)
	// 20 messages at 40/s are spaced over at least 19/40 s. This is a lower
	// bound from the pacing arithmetic, not a timing assertion on the machine.
	if el := time.Since(start); el < 19*time.Second/40 {
		t.Fatalf("20 messages at 40/s took %s, pacing not applied", el)
	}
}

func TestLiveStreamsRealTimeTrafficToABroker(t *testing.T) {
	b := mqtttest.Start(t)
	s := New(Options{Seed: 4, Nodes: 60, Observers: 4})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	p, err := Dial(ctx, b.URL, 0)
	if err != nil {
		t.Fatal(err)
	}
	var emitted []Message
	before := time.Now()
	err = s.Live(ctx, 500, 30, func(m Message) error {
		emitted = append(emitted, m)
		return p.Publish(ctx, m)
	})
	if err != nil {
		t.Fatalf("Live: %v", err)
	}
	if err := p.Close(ctx); err != nil {
		t.Fatalf("close: %v", err)
	}
	seqs := map[int]bool{}
	statuses := 0
	for _, m := range emitted {
		if m.Time.Before(before.Add(-time.Second)) || m.Time.After(time.Now().Add(time.Second)) {
			t.Fatalf("live message time %s is not now", m.Time)
		}
		if m.Kind == KindStatus {
			statuses++
		} else {
			seqs[m.Seq] = true
		}
	}
	if len(seqs) != 30 || statuses < 4 {
		t.Fatalf("live run: %d transmissions, %d statuses; want 30 and >= 4", len(seqs), statuses)
	}
	if p.Sent() != len(emitted) {
		t.Fatalf("published %d of %d", p.Sent(), len(emitted))
	}
}

func TestLiveStopsWithItsContext(t *testing.T) {
	s := New(Options{Seed: 4, Nodes: 30, Observers: 2})
	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	err := s.Live(ctx, 1000, 0, func(Message) error {
		n++
		if n == 10 {
			cancel()
		}
		return nil
	})
	if err != context.Canceled {
		t.Fatalf("Live after cancel: %v, want context.Canceled", err)
	}
}

func TestNDJSONRoundTripAndErrors(t *testing.T) {
	msgs := smallSim(8).Generate(50)
	data := ndjson(t, msgs)
	var back []Message
	if err := ReadNDJSON(bytes.NewReader(data), func(m Message) error {
		back = append(back, m)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(back) != len(msgs) {
		t.Fatalf("read %d messages, wrote %d", len(back), len(msgs))
	}
	for i := range msgs {
		if back[i].Topic != msgs[i].Topic || !bytes.Equal(back[i].Payload, msgs[i].Payload) || back[i].Kind != msgs[i].Kind ||
			msgs[i].Time.IsZero() || !back[i].Time.Equal(msgs[i].Time) {
			t.Fatalf("message %d differs after the round trip", i)
		}
	}
	bad := append(append([]byte(nil), data[:bytes.IndexByte(data, '\n')+1]...), "{not json\n"...)
	err := ReadNDJSON(bytes.NewReader(bad), func(Message) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Fatalf("malformed line 2: %v", err)
	}
	err = ReadNDJSON(strings.NewReader(`{"topic":"a/b"}`+"\n"), func(Message) error { return nil })
	if err == nil {
		t.Fatal("line without payload accepted")
	}
	var str []Message
	if err := ReadNDJSON(strings.NewReader(`{"topic":"meshcore/X/Y/packets","payload":"{\"raw\":\"0A00\"}"}`), func(m Message) error {
		str = append(str, m)
		return nil
	}); err != nil || len(str) != 1 || string(str[0].Payload) != `{"raw":"0A00"}` {
		t.Fatalf("string payload: %v %d messages", err, len(str))
	}
}
