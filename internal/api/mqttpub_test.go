package api

import (
	"context"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/corescope/corescope/internal/config"
	"github.com/corescope/corescope/internal/mqtttest"
)

func TestMQTTPublisherDeliversToTheBroker(t *testing.T) {
	b := mqtttest.Start(t)
	got := make(chan mqtt.Message, 1)
	sub := mqtt.NewClient(mqtt.NewClientOptions().AddBroker(b.URL).SetClientID("test-sub"))
	if tok := sub.Connect(); tok.Wait() && tok.Error() != nil {
		t.Fatal(tok.Error())
	}
	defer sub.Disconnect(100)
	if tok := sub.Subscribe("meshcore/#", 1, func(_ mqtt.Client, m mqtt.Message) { got <- m }); tok.Wait() && tok.Error() != nil {
		t.Fatal(tok.Error())
	}
	pub := NewMQTTPublisher(config.MQTTSource{Name: "local", Broker: b.URL}, quietLog())
	defer pub.Close()
	deadline := time.Now().Add(15 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		err := pub.Publish(ctx, "meshcore/MANUAL/manual/packets", []byte(`{"raw":"00"}`))
		cancel()
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("publish never succeeded: %v", err)
		}
		time.Sleep(50 * time.Millisecond) // still connecting
	}
	select {
	case m := <-got:
		if m.Topic() != "meshcore/MANUAL/manual/packets" || string(m.Payload()) != `{"raw":"00"}` {
			t.Fatalf("got %s %s", m.Topic(), m.Payload())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("subscriber got nothing")
	}
}

func TestMQTTPublisherReportsUnreachableBroker(t *testing.T) {
	pub := NewMQTTPublisher(config.MQTTSource{Name: "nowhere", Broker: "tcp://127.0.0.1:1"}, quietLog())
	defer pub.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := pub.Publish(ctx, "meshcore/x/y/packets", []byte("{}")); err == nil {
		t.Fatal("publish to an unreachable broker reported success")
	}
}
