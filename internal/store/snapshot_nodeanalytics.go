package store

// Snapshot accessors for the node and observer analytics
// (internal/analytics node_*.go, observer_*.go).

// NodeTxs returns the transmissions attributed to a node (advert sender or
// resolved path hop), ascending id. Shared: never modify.
func (sn *Snapshot) NodeTxs(pubkey string) []*Transmission { return sn.byNode[pubkey] }

// ObserverObservations returns the observations of the observer with this
// rowid, ascending id. Shared: never modify.
func (sn *Snapshot) ObserverObservations(idx int64) []*Observation { return sn.byObserverObs[idx] }

// Metrics returns the observer_metrics samples as of the snapshot.
func (sn *Snapshot) Metrics() *MetricsSet { return sn.metrics }

// LookupNode returns the node with this pubkey or unique prefix of 8+ hex
// chars (ErrNotFound, ErrAmbiguous), blacklisted nodes never: the existence
// check of the node analytics routes before they ask the analytics engine.
func (s *Store) LookupNode(pubkeyOrPrefix string) (*Node, error) { return s.findNode(pubkeyOrPrefix) }

// ObserverRows returns the observers that are not blacklisted, most recently
// seen first. Shared: never modify.
func (s *Store) ObserverRows() []*Observer {
	list := s.observers.Load().list
	out := make([]*Observer, 0, len(list))
	for _, o := range list {
		if !s.observerBlacklisted(o.ID) {
			out = append(out, o)
		}
	}
	return out
}
