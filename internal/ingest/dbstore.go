package ingest

import (
	"context"
	"fmt"
	"time"

	"github.com/corescope/corescope/internal/db"
)

// batchWriter is the part of *db.Writer the ingestor needs.
type batchWriter interface {
	WriteBatch(ctx context.Context, b db.Batch) (db.Result, error)
}

// dbStore maps items onto one db.Batch per flush and the database's per-row
// rejections back onto the items they came from. It is used only by the
// single writer goroutine.
type dbStore struct {
	w     batchWriter
	ctr   *counters
	batch db.Batch
	// owner[kind][i] = index of the item that produced Batch.<kind>[i].
	owner map[db.RowKind][]int
}

func newDBStore(w batchWriter, ctr *counters) *dbStore {
	return &dbStore{w: w, ctr: ctr, owner: make(map[db.RowKind][]int, 6)}
}

func (d *dbStore) add(kind db.RowKind, item int) {
	d.owner[kind] = append(d.owner[kind], item)
}

func (d *dbStore) store(ctx context.Context, items []*item) error {
	for _, it := range items {
		it.err = nil
	}
	d.build(items)
	// A message is stored whole or not at all: when one of its rows is
	// invalid, none of its rows is written (the database would otherwise
	// store, say, its transmission without its observation).
	if probs := d.batch.Problems(); len(probs) > 0 {
		d.markRejected(items, probs)
		d.build(items)
	}
	res, err := d.w.WriteBatch(ctx, d.batch)
	if err != nil {
		return fmt.Errorf("write batch of %d messages: %w", len(items), err)
	}
	d.markRejected(items, res.Rejected)
	c := d.ctr
	c.txInserted.Add(uint64(res.NewTransmissions))
	c.txDupes.Add(uint64(res.DuplicateTransmissions))
	c.obsInserted.Add(uint64(res.NewObservations))
	c.obsDupes.Add(uint64(res.DuplicateObservations))
	c.observerUpserts.Add(uint64(res.ObserverUpserts))
	c.nodeUpserts.Add(uint64(res.NodeUpserts))
	c.metricsWritten.Add(uint64(res.Metrics))
	c.sigDrops.Add(uint64(res.Dropped))
	return nil
}

// build fills the batch with the rows of every item not yet rejected.
func (d *dbStore) build(items []*item) {
	d.batch.Reset()
	for k, v := range d.owner {
		d.owner[k] = v[:0]
	}
	for i, it := range items {
		if it.err == nil {
			d.addItem(i, it)
		}
	}
}

// markRejected sets item.err on the items that produced rejected rows.
func (d *dbStore) markRejected(items []*item, rejected []db.RowError) {
	for _, re := range rejected {
		if own := d.owner[re.Kind]; re.Index >= 0 && re.Index < len(own) {
			it := items[own[re.Index]]
			if it.err == nil {
				it.err = re
			}
		}
	}
}

func (d *dbStore) addItem(i int, it *item) {
	r := &it.rec
	b := &d.batch
	if o := r.observer; o != nil {
		u := db.ObserverUpsert{
			ID: o.ID, Name: o.Name, IATA: o.IATA, Seen: r.now, Packet: o.Packet,
			Model: o.Meta.Model, Firmware: o.Meta.Firmware, ClientVersion: o.Meta.ClientVersion,
			Radio: o.Meta.Radio, BatteryMv: intp(o.Meta.BatteryMV), UptimeSecs: o.Meta.UptimeSecs,
			NoiseFloor: o.Meta.NoiseFloor,
		}
		if o.NoLiveness {
			u.Seen = time.Time{}
		}
		if r.skew != nil {
			off := r.skew.OffsetSeconds
			u.ClockSkewSeconds = &off
		}
		b.Observers = append(b.Observers, u)
		d.add(db.KindObserver, i)
	}
	if t := r.tx; t != nil {
		tx := db.Transmission{
			RawHex: t.RawHex, Hash: t.Hash, FirstSeen: r.now,
			RouteType: t.RouteType, PayloadType: t.PayloadType, PayloadVersion: t.PayloadVer,
			DecodedJSON: t.DecodedJSON, ScopeName: t.ScopeName,
		}
		if t.FromPubkey != nil {
			tx.FromPubkey = *t.FromPubkey
		}
		if t.ChannelHash != nil {
			tx.ChannelHash = *t.ChannelHash
		}
		b.Transmissions = append(b.Transmissions, tx)
		d.add(db.KindTransmission, i)
		if o := r.obs; o != nil {
			b.Observations = append(b.Observations, db.Observation{
				TxHash: t.Hash, ObserverID: o.ObserverID, Direction: o.Direction,
				SNR: o.SNR, RSSI: o.RSSI, Score: intp(o.Score), PathJSON: o.PathJSON,
				Timestamp: r.now.Unix(), RawHex: o.RawHex,
			})
			d.add(db.KindObservation, i)
		}
	}
	if n := r.node; n != nil {
		hash := ""
		if r.tx != nil {
			hash = r.tx.Hash
		}
		b.Nodes = append(b.Nodes, db.NodeUpsert{
			PublicKey: n.PubKey, Name: n.Name, Role: n.Role, Lat: n.Lat, Lon: n.Lon,
			BatteryMv: n.BatteryMV, TemperatureC: n.TemperatureC, Seen: r.now,
			AdvertHash: hash, Foreign: n.Foreign, DefaultScope: n.Scope,
		})
		d.add(db.KindNode, i)
	}
	if m := r.metrics; m != nil {
		b.Metrics = append(b.Metrics, db.Metrics{
			ObserverID: m.ObserverID, At: m.Bucket, NoiseFloor: m.Meta.NoiseFloor,
			TxAirSecs: m.Meta.TxAirSecs, RxAirSecs: m.Meta.RxAirSecs, RecvErrors: m.Meta.RecvErrors,
			BatteryMv: intp(m.Meta.BatteryMV), PacketsSent: m.Meta.PacketsSent, PacketsRecv: m.Meta.PacketsRecv,
		})
		d.add(db.KindMetrics, i)
	}
	if x := r.dropped; x != nil {
		b.Dropped = append(b.Dropped, db.Dropped{
			Hash: x.Hash, RawHex: x.RawHex, Reason: x.Reason, ObserverID: x.ObserverID,
			ObserverName: x.ObserverName, NodePubkey: x.NodePubkey, NodeName: x.NodeName, At: r.now,
		})
		d.add(db.KindDropped, i)
	}
}

func intp(v *int64) *int {
	if v == nil {
		return nil
	}
	n := int(*v)
	return &n
}
