package meshsim

import (
	"encoding/json"
	"math"
	"time"
)

// statusMsg is the meshcoretomqtt status message (INGEST.md §2.2).
type statusMsg struct {
	Status          string      `json:"status"`
	Timestamp       string      `json:"timestamp"`
	Origin          string      `json:"origin"`
	OriginID        string      `json:"origin_id"`
	Radio           string      `json:"radio"`
	Model           string      `json:"model"`
	FirmwareVersion string      `json:"firmware_version"`
	ClientVersion   string      `json:"client_version"`
	Stats           statusStats `json:"stats"`
}

type statusStats struct {
	BatteryMV   int   `json:"battery_mv"`
	UptimeSecs  int64 `json:"uptime_secs"`
	NoiseFloor  int   `json:"noise_floor"`
	TxAirSecs   int   `json:"tx_air_secs"`
	RxAirSecs   int   `json:"rx_air_secs"`
	RecvErrors  int   `json:"recv_errors"`
	PacketsSent int   `json:"packets_sent"`
	PacketsRecv int   `json:"packets_recv"`
}

// resetStatus schedules every observer's next status at start (staggered by
// a few milliseconds so the order is stable), before any packet.
func (s *Sim) resetStatus(start time.Time) {
	for i := range s.statusAt {
		s.statusAt[i] = start.Add(time.Duration(i) * 10 * time.Millisecond)
	}
}

// statusesUpTo queues the status messages due at or before t.
func (s *Sim) statusesUpTo(t time.Time) {
	for i := range s.observers {
		for !s.statusAt[i].After(t) {
			at := s.statusAt[i]
			s.enqueue(s.status(i, at))
			jitter := time.Duration((s.r.Float64() - 0.5) * 0.2 * float64(s.opts.StatusInterval))
			s.statusAt[i] = at.Add(s.opts.StatusInterval + jitter)
		}
	}
}

// status builds observer i's status message at time at. Counters are
// cumulative since boot; the battery of solar observers follows the sun.
func (s *Sim) status(i int, at time.Time) Message {
	ob := s.observers[i]
	r := s.r
	ob.noiseFloor = math.Max(-120, math.Min(-95, ob.noiseFloor+r.NormFloat64()*0.7))
	ob.recvErrors += r.IntN(4)
	ob.sent = ob.recv/3 + r.IntN(3)
	ob.txAir = ob.rxAir / 3
	mv := 4180 + r.IntN(25)
	if ob.solar {
		hour := float64(at.Hour()) + float64(at.Minute())/60 - 8 // ~US west coast local time
		mv = int(3920 + 220*math.Sin((hour-9)/24*2*math.Pi) + r.NormFloat64()*8)
	}
	up := at.Unix() - ob.bootUnix
	if up < 0 {
		up = 0
	}
	msg := statusMsg{
		Status:          "online",
		Timestamp:       s.stamp(at),
		Origin:          ob.Name,
		OriginID:        ob.ID,
		Radio:           ob.Radio,
		Model:           ob.Model,
		FirmwareVersion: ob.Firmware,
		ClientVersion:   ob.ClientVersion,
		Stats: statusStats{
			BatteryMV:   mv,
			UptimeSecs:  up,
			NoiseFloor:  int(math.Round(ob.noiseFloor)),
			TxAirSecs:   int(ob.txAir),
			RxAirSecs:   int(ob.rxAir),
			RecvErrors:  ob.recvErrors,
			PacketsSent: ob.sent,
			PacketsRecv: ob.recv,
		},
	}
	body, err := json.Marshal(msg)
	if err != nil {
		panic(err) // plain values only; cannot fail
	}
	return Message{
		Topic:      "meshcore/" + ob.IATA + "/" + ob.ID + "/status",
		Payload:    body,
		Time:       at,
		Kind:       KindStatus,
		ObserverID: ob.ID,
		IATA:       ob.IATA,
		Seq:        -1,
	}
}
