package deploytest

import (
	"context"
	"net/url"
	"testing"
	"time"

	"github.com/corescope/corescope/internal/meshsim"
)

// TestContainerObserverLogins: with the logins `./manage.sh setup` writes
// (the ingestor's MQTT_USERNAME plus MQTT_OBSERVER_LOGINS), anonymous
// publishing is refused, a wrong password too, and each observer login
// publishes packets that are stored.
func TestContainerObserverLogins(t *testing.T) {
	s := startStackWithDotEnv(t, "MQTT_USERNAME=corescope\nMQTT_PASSWORD=ingest-pass-123\nMQTT_OBSERVER_LOGINS=observer1:first-pass observer2:second-pass\n")
	eventually(t, 90*time.Second, "server answers", func() error {
		_, err := s.stats()
		return err
	})
	sim := meshsim.New(meshsim.Options{Seed: 5, Nodes: 20, Observers: 2, Duration: time.Hour})
	msgs := sim.Generate(40)
	u, err := url.Parse(s.mqttURL)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := meshsim.Publish(ctx, s.mqttURL, msgs[:3], 0); err == nil {
		t.Fatal("anonymous publish succeeded although logins are configured")
	}
	u.User = url.UserPassword("observer1", "wrong")
	if err := meshsim.Publish(ctx, u.String(), msgs[:3], 0); err == nil {
		t.Fatal("publish with a wrong observer password succeeded")
	}
	u.User = url.UserPassword("observer2", "second-pass")
	want := s.publishTo(u.String(), msgs)
	s.waitStored(want, "messages published with an observer login are stored")
}
