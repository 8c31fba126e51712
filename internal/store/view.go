package store

// View types returned by the query methods. They point into the store's
// immutable records (never copy or modify through them) and carry the observer
// rows resolved at query time, so a handler can encode without further lookups.

// ObsView is one observation with its observer row (Observer is nil when the
// observer is unknown, e.g. observer_idx NULL).
type ObsView struct {
	Obs      *Observation
	Observer *Observer
}

// ObserverID returns the observer's id ("" when unknown).
func (v ObsView) ObserverID() string {
	if v.Observer == nil {
		return ""
	}
	return v.Observer.ID
}

// ObserverName returns the observer's name ("" when unknown).
func (v ObsView) ObserverName() string {
	if v.Observer == nil {
		return ""
	}
	return v.Observer.Name
}

// ObserverIATA returns the observer's IATA code ("" when unknown).
func (v ObsView) ObserverIATA() string {
	if v.Observer == nil {
		return ""
	}
	return v.Observer.IATA
}

// Packet is a transmission in list form: its best observation (display fields)
// and, when requested, every observation.
type Packet struct {
	Tx           *Transmission
	Best         ObsView // Best.Obs is nil when the transmission has no observation
	Observations []ObsView
}

func (s *Store) obsView(os *observerSet, o *Observation) ObsView {
	if o == nil {
		return ObsView{}
	}
	return ObsView{Obs: o, Observer: os.byIdx[o.ObserverIdx]}
}

func (s *Store) packetOf(os *observerSet, t *Transmission, expand bool) Packet {
	p := Packet{Tx: t, Best: s.obsView(os, t.Best())}
	if expand {
		obs := t.Observations()
		p.Observations = make([]ObsView, len(obs))
		for i, o := range obs {
			p.Observations[i] = s.obsView(os, o)
		}
	}
	return p
}
