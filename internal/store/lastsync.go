package store

import "time"

// LastSync is when the store last completed a sync tick with the database
// (zero before the first). now − LastSync is the server's sync lag in
// /metrics: it grows when the sync fails or stalls.
func (s *Store) LastSync() time.Time {
	ms := s.lastSync.Load()
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms)
}
