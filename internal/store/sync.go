package store

import (
	"context"
	"database/sql"
	"maps"
	"runtime/debug"
	"slices"
	"time"

	"github.com/corescope/corescope/internal/db"
)

// Sync batch sizes: one tick loops over batches until it has caught up, however
// large the backlog.
const (
	syncTxBatch  = 5000
	syncObsBatch = 20000
	maxLoadChunk = 50000
)

// syncState is owned by the Run goroutine.
type syncState struct {
	lastTx, lastObs int64 // watermarks of the incremental sync
	loadBefore      int64 // the background load continues with ids < loadBefore
	chunk           int
	lastFullReload  time.Time
	intern          interner
	scratch         scratch

	// conn is the sync's own connection: PRAGMA data_version is per
	// connection, so only a value read on the same one tells whether anyone
	// committed since the last tick.
	conn        *sql.Conn
	dataVersion int64
}

// tick picks up everything committed since the last tick, then evicts.
func (s *Store) tick(ctx context.Context) (err error) {
	st := &s.syncSt
	defer func() {
		if err != nil {
			st.dataVersion = -1 // a failed tick must re-read next time
		}
	}()
	now := s.cfg.Now()
	full := now.Sub(st.lastFullReload) >= s.cfg.NodeReloadInterval
	changed, err := s.dataChanged(ctx)
	if err != nil {
		return err
	}
	if !changed && !full {
		// Nothing committed: skip the reads (the node/observer watermark query
		// re-reads every row of the newest second, which on an idle mesh is
		// pure garbage five times a second).
		s.evict(now)
		return nil
	}
	obsSince, nodeSince := s.observers.Load().maxSeen, s.nodes.Load().maxSeen
	edgeSince := ""
	if es := s.edges.Load(); es != nil {
		edgeSince = es.maxSeen
	}
	if full {
		obsSince, nodeSince, edgeSince = "", "", ""
		st.lastFullReload = now
	}
	// One read transaction: a consistent WAL snapshot, so every observation read
	// has its transmission, its observer row and the nodes its path resolves to
	// committed too (the observer/node sets are refreshed from the same snapshot
	// before the packets, so live messages carry the observer's name).
	rtx, err := st.conn.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return wrapf(err, "begin sync read")
	}
	defer func() { _ = rtx.Rollback() }()
	prevObservers := s.observers.Load()
	if err := s.reloadObservers(ctx, rtx, obsSince); err != nil {
		return err
	}
	if cur := s.observers.Load(); cur != prevObservers && iataChanged(prevObservers, cur) {
		s.rebuildRegions(cur)
	}
	if err := s.reloadNodes(ctx, rtx, nodeSince); err != nil {
		return err
	}
	if err := s.syncMetrics(ctx, rtx, full); err != nil {
		return err
	}
	if err := s.reloadEdges(ctx, rtx, edgeSince); err != nil {
		return err
	}
	for {
		txRows, err := db.ReadTransmissionsAfter(ctx, rtx, st.lastTx, s.cfg.txBatch)
		if err != nil {
			return err
		}
		obsRows, err := db.ReadObservationsAfter(ctx, rtx, st.lastObs, s.cfg.obsBatch)
		if err != nil {
			return err
		}
		if len(txRows) == 0 && len(obsRows) == 0 {
			break
		}
		s.applySync(txRows, obsRows, len(txRows) == s.cfg.txBatch)
		if len(txRows) < s.cfg.txBatch && len(obsRows) < s.cfg.obsBatch {
			break
		}
	}
	s.evict(now)
	return nil
}

// dataChanged reports whether any connection committed since the previous
// call (always true on the first call and after a connection error, when the
// sync connection is replaced).
func (s *Store) dataChanged(ctx context.Context) (bool, error) {
	st := &s.syncSt
	if st.conn == nil {
		c, err := s.db.Conn(ctx)
		if err != nil {
			return false, wrapf(err, "open sync connection")
		}
		st.conn, st.dataVersion = c, -1
	}
	var v int64
	if err := st.conn.QueryRowContext(ctx, "PRAGMA data_version").Scan(&v); err != nil {
		st.closeConn()
		return false, wrapf(err, "read data_version")
	}
	changed := v != st.dataVersion
	st.dataVersion = v
	return changed, nil
}

// closeConn returns the sync connection to the pool.
func (st *syncState) closeConn() {
	if st.conn != nil {
		_ = st.conn.Close()
		st.conn = nil
	}
}

// applySync adds new transmissions (ids above every loaded one) and new
// observations, then publishes them to subscribers.
// moreTx says the transmission batch was full (more may follow in this
// snapshot).
func (s *Store) applySync(txRows []db.TxRow, obsRows []db.ObsRow, moreTx bool) {
	st := &s.syncSt
	ns := s.nodes.Load()
	newTxs := make([]*Transmission, 0, len(txRows))
	byID := make(map[int64]*Transmission, len(txRows))
	for _, r := range txRows {
		t := txFromRow(r, &st.intern)
		newTxs = append(newTxs, t)
		byID[t.ID] = t
		st.lastTx = max(st.lastTx, t.ID)
	}
	s.mu.RLock()
	txs := s.idx.txs
	s.mu.RUnlock()
	var obs []*Observation
	for _, r := range obsRows {
		t := byID[r.TransmissionID]
		if t == nil {
			if r.TransmissionID > st.lastTx && moreTx {
				// Its transmission is in the next batch: stop here, resume next round.
				break
			}
			t = findTx(txs, r.TransmissionID)
		}
		st.lastObs = r.ID
		if t == nil {
			// Evicted, outside the retention window, not reached by the
			// background load yet (which reads all of a transmission's
			// observations), or an orphan row of a legacy database.
			continue
		}
		obs = append(obs, obsFromRow(r, t, &st.intern, ns, &st.scratch))
	}
	ch := s.buildChanges(newTxs, obs)
	s.mu.Lock()
	ix := &s.idx
	ix.txs = append(ix.txs, newTxs...)
	ix.txMaxFS = appendMaxFS(ix.txMaxFS, newTxs)
	for _, t := range newTxs {
		ix.byHash[t.Hash] = t
		if t.PayloadType >= 0 {
			ix.byType[t.PayloadType] = append(ix.byType[t.PayloadType], t)
		}
		if t.ChannelHash != "" {
			ix.byChannel[t.ChannelHash] = append(ix.byChannel[t.ChannelHash], t)
		}
		if t.FromPubkey != "" {
			ix.byFrom[t.FromPubkey] = append(ix.byFrom[t.FromPubkey], t)
		}
	}
	s.applyChangesLocked(ch, s.observers.Load())
	s.mu.Unlock()
	if len(newTxs) > 0 || len(ch.added) > 0 {
		s.gen.Add(1)
	}
	s.publish(ch.added)
}

// changes are the index additions computed outside the lock.
type changes struct {
	added      []*Observation // accepted observations, ascending id
	observerTx []obsTxPair
	nodeTx     []nodeTxPair
	bytes      int64
}

type obsTxPair struct {
	idx int64
	tx  *Transmission
}

type nodeTxPair struct {
	pk string
	tx *Transmission
	// relayAt is the timestamp (ms) of the observation whose path hop
	// resolved to pk; 0 when pk is the sender.
	relayAt int64
}

// buildChanges folds observations into their transmissions' states (publishing
// the new states atomically) and lists the index entries to add.
func (s *Store) buildChanges(newTxs []*Transmission, obs []*Observation) changes {
	var ch changes
	for _, t := range newTxs {
		ch.bytes += int64(t.bytes)
		if t.FromPubkey != "" {
			t.nodes = append(t.nodes, t.FromPubkey)
			ch.nodeTx = append(ch.nodeTx, nodeTxPair{t.FromPubkey, t, 0})
		}
	}
	groups := map[*Transmission][]*Observation{}
	var order []*Transmission
	for _, o := range obs {
		if _, ok := groups[o.Tx]; !ok {
			order = append(order, o.Tx)
		}
		groups[o.Tx] = append(groups[o.Tx], o)
	}
	for _, t := range order {
		prev := t.state.Load()
		var old []*Observation
		if prev != nil {
			old = prev.obs
		}
		seenObs := make(map[int64]bool, len(old))
		seenObserver := make(map[int64]bool, len(old))
		for _, o := range old {
			seenObs[o.ID] = true
			seenObserver[o.ObserverIdx] = true
		}
		all := append(make([]*Observation, 0, len(old)+len(groups[t])), old...)
		for _, o := range groups[t] {
			if seenObs[o.ID] {
				continue
			}
			seenObs[o.ID] = true
			all = append(all, o)
			ch.added = append(ch.added, o)
			ch.bytes += obsBytes(o)
			if !seenObserver[o.ObserverIdx] {
				seenObserver[o.ObserverIdx] = true
				ch.observerTx = append(ch.observerTx, obsTxPair{o.ObserverIdx, t})
			}
			for _, pk := range o.Resolved {
				if pk != "" && !slices.Contains(t.nodes, pk) {
					t.nodes = append(t.nodes, pk)
					ch.nodeTx = append(ch.nodeTx, nodeTxPair{pk, t, o.Timestamp})
				}
			}
		}
		slices.SortFunc(all, func(a, b *Observation) int { return cmpInt64(a.ID, b.ID) })
		t.state.Store(newState(t, all, len(seenObserver)))
	}
	slices.SortFunc(ch.added, func(a, b *Observation) int { return cmpInt64(a.ID, b.ID) })
	return ch
}

func cmpInt64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func newState(t *Transmission, obs []*Observation, observers int) *txState {
	st := &txState{obs: obs, observers: observers, latest: t.FirstSeen}
	for _, o := range obs {
		if o.Timestamp > st.latest {
			st.latest = o.Timestamp
		}
		b := st.best
		if b == nil || o.Path.Len() > b.Path.Len() ||
			(o.Path.Len() == b.Path.Len() && o.Timestamp > b.Timestamp) {
			st.best = o
		}
	}
	return st
}

// applyChangesLocked adds observation/observer/node index entries. Caller holds
// s.mu for writing; everything here is appends or small copy-inserts.
func (s *Store) applyChangesLocked(ch changes, os *observerSet) {
	ix := &s.idx
	if n := len(ix.obs); n == 0 || len(ch.added) == 0 || ix.obs[n-1].ID < ch.added[0].ID {
		ix.obs = append(ix.obs, ch.added...)
	} else {
		ix.obs = mergeSorted(ix.obs, ch.added)
	}
	for _, o := range ch.added {
		ix.byObserverObs[o.ObserverIdx] = insertSorted(ix.byObserverObs[o.ObserverIdx], o)
		ix.countMinute(o)
	}
	for _, p := range ch.observerTx {
		ix.byObserverTx[p.idx] = insertSorted(ix.byObserverTx[p.idx], p.tx)
		if o := os.byIdx[p.idx]; o != nil && o.IATA != "" {
			ix.byRegion[o.IATA] = insertSorted(ix.byRegion[o.IATA], p.tx)
		}
	}
	for _, p := range ch.nodeTx {
		ix.byNode[p.pk] = insertSorted(ix.byNode[p.pk], p.tx)
	}
	ix.addRelays(ch.nodeTx)
	s.mem.tracked.Add(ch.bytes)
}

// loadChunk reads the next chunk of older transmissions (newest first overall)
// with all their observations and merges it in front of what is loaded.
func (s *Store) loadChunk(ctx context.Context) error {
	st := &s.syncSt
	if st.chunk == 0 {
		st.chunk = s.cfg.LoadChunk
	}
	done := func() {
		// The load leaves a lot of garbage (row buffers, strings): return it to
		// the OS now rather than running at the load's peak RSS.
		debug.FreeOSMemory()
		s.prog.doneAt.Store(s.cfg.Now().UnixMilli())
		s.prog.phase.Store(PhaseReady)
		p := s.Progress()
		s.log.Info("store load complete", "transmissions", p.LoadedTx, "observations", p.LoadedObs,
			"duration_ms", p.DoneAt-p.StartedAt, "tracked_mb", s.mem.tracked.Load()>>20,
			"stopped_at_budget", p.StoppedBudget)
	}
	if st.loadBefore <= 1 {
		done()
		return nil
	}
	if budget := s.budgetBytes(); budget > 0 && s.mem.tracked.Load() >= budget {
		s.prog.budgetHit.Store(true)
		done()
		return nil
	}
	size := st.chunk
	if budget := s.budgetBytes(); budget > 0 {
		// Do not overshoot the budget by a whole (large) chunk: size the next
		// one from the average cost so far.
		if loaded := s.prog.loadedTx.Load(); loaded > 0 {
			avg := max(s.mem.tracked.Load()/loaded, 1)
			size = int(min(int64(size), (budget-s.mem.tracked.Load())/avg+1))
		}
	}
	rows, err := db.ReadTransmissionsBefore(ctx, s.db, st.loadBefore, size)
	if err != nil {
		return err
	}
	if len(rows) == 0 {
		st.loadBefore = 0
		done()
		return nil
	}
	minID, maxID := rows[len(rows)-1].ID, rows[0].ID
	cutoff := s.retentionCutoff(s.cfg.Now())
	ns := s.nodes.Load()
	chunk := make([]*Transmission, 0, len(rows))
	byID := make(map[int64]*Transmission, len(rows))
	stop := false
	for i := len(rows) - 1; i >= 0; i-- {
		t := txFromRow(rows[i], &st.intern)
		if cutoff > 0 && t.FirstSeen < cutoff {
			stop = true // older than the in-memory window
			continue
		}
		chunk = append(chunk, t)
		byID[t.ID] = t
	}
	var obs []*Observation
	err = db.EachObservationForTxRange(ctx, s.db, minID, maxID, func(r *db.ObsRowBytes) error {
		if t := byID[r.TransmissionID]; t != nil {
			obs = append(obs, obsFromBytes(r, t, &st.intern, ns, &st.scratch))
		}
		return nil
	})
	if err != nil {
		return err
	}
	ch := s.buildChanges(chunk, obs)
	s.mergeOlder(chunk, ch)
	s.prog.loadedTx.Add(int64(len(chunk)))
	s.prog.loadedObs.Add(int64(len(ch.added)))
	st.loadBefore = minID
	if st.chunk < maxLoadChunk {
		st.chunk = min(st.chunk*2, maxLoadChunk)
	}
	p := s.Progress()
	s.log.Info("store load progress", "loaded_tx", p.LoadedTx, "total_tx", p.TotalTx,
		"loaded_obs", p.LoadedObs, "tracked_mb", s.mem.tracked.Load()>>20)
	if stop {
		done()
	}
	return nil
}

// mergeOlder merges a chunk of transmissions older than every loaded one (plus
// their index entries) into the index: new arrays are built outside the lock,
// then swapped in.
func (s *Store) mergeOlder(chunk []*Transmission, ch changes) {
	ix := &s.idx // read without the lock: only this goroutine writes
	txs := mergeSorted(chunk, ix.txs)
	txMaxFS := prefixMaxFS(txs)
	byType := map[int8][]*Transmission{}
	byChannel := map[string][]*Transmission{}
	byFrom := map[string][]*Transmission{}
	for _, t := range chunk {
		if t.FromPubkey != "" {
			byFrom[t.FromPubkey] = append(byFrom[t.FromPubkey], t)
		}
		if t.PayloadType >= 0 {
			byType[t.PayloadType] = append(byType[t.PayloadType], t)
		}
		if t.ChannelHash != "" {
			byChannel[t.ChannelHash] = append(byChannel[t.ChannelHash], t)
		}
	}
	for k, l := range byType {
		byType[k] = mergeSorted(l, ix.byType[k])
	}
	for k, l := range byChannel {
		byChannel[k] = mergeSorted(l, ix.byChannel[k])
	}
	for k, l := range byFrom {
		byFrom[k] = mergeSorted(l, ix.byFrom[k])
	}
	obs := mergeSorted(ch.added, ix.obs)
	obsByObserver := map[int64][]*Observation{}
	for _, o := range ch.added {
		obsByObserver[o.ObserverIdx] = append(obsByObserver[o.ObserverIdx], o)
	}
	for k, l := range obsByObserver {
		obsByObserver[k] = mergeSorted(l, ix.byObserverObs[k])
	}
	os := s.observers.Load()
	txByObserver := map[int64][]*Transmission{}
	txByRegion := map[string][]*Transmission{}
	for _, p := range ch.observerTx {
		txByObserver[p.idx] = append(txByObserver[p.idx], p.tx)
		if o := os.byIdx[p.idx]; o != nil && o.IATA != "" {
			txByRegion[o.IATA] = append(txByRegion[o.IATA], p.tx)
		}
	}
	for k, l := range txByRegion {
		slices.SortFunc(l, func(a, b *Transmission) int { return cmpInt64(a.ID, b.ID) })
		l = slices.CompactFunc(l, func(a, b *Transmission) bool { return a == b })
		txByRegion[k] = mergeSorted(l, ix.byRegion[k])
	}
	for k, l := range txByObserver {
		slices.SortFunc(l, func(a, b *Transmission) int { return cmpInt64(a.ID, b.ID) })
		txByObserver[k] = mergeSorted(l, ix.byObserverTx[k])
	}
	txByNode := map[string][]*Transmission{}
	for _, p := range ch.nodeTx {
		txByNode[p.pk] = append(txByNode[p.pk], p.tx)
	}
	for k, l := range txByNode {
		slices.SortFunc(l, func(a, b *Transmission) int { return cmpInt64(a.ID, b.ID) })
		txByNode[k] = mergeSorted(l, ix.byNode[k])
	}

	s.mu.Lock()
	ix.txs, ix.txMaxFS = txs, txMaxFS
	ix.obs = obs
	for _, t := range chunk {
		ix.byHash[t.Hash] = t
	}
	maps.Copy(ix.byType, byType)
	maps.Copy(ix.byChannel, byChannel)
	maps.Copy(ix.byFrom, byFrom)
	maps.Copy(ix.byRegion, txByRegion)
	maps.Copy(ix.byObserverObs, obsByObserver)
	maps.Copy(ix.byObserverTx, txByObserver)
	maps.Copy(ix.byNode, txByNode)
	ix.addRelays(ch.nodeTx)
	for _, o := range ch.added {
		ix.countMinute(o)
	}
	s.mu.Unlock()
	s.mem.tracked.Add(ch.bytes)
	s.gen.Add(1)
}

// iataChanged reports whether an observer known before moved to another IATA
// code (the region index is keyed by the IATA at insertion time).
func iataChanged(prev, cur *observerSet) bool {
	for idx, o := range cur.byIdx {
		if p := prev.byIdx[idx]; p != nil && p.IATA != o.IATA {
			return true
		}
	}
	return false
}

// rebuildRegions rebuilds the region index from the per-observer index.
func (s *Store) rebuildRegions(os *observerSet) {
	ix := &s.idx // read without the lock: only this goroutine writes
	byRegion := map[string][]*Transmission{}
	for idx, l := range ix.byObserverTx {
		if o := os.byIdx[idx]; o != nil && o.IATA != "" {
			byRegion[o.IATA] = mergeSorted(byRegion[o.IATA], l)
		}
	}
	s.mu.Lock()
	ix.byRegion = byRegion
	s.mu.Unlock()
	s.log.Info("region index rebuilt after an observer changed IATA", "regions", len(byRegion))
}
