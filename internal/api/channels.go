package api

import (
	"net/http"

	"github.com/gorilla/mux"

	"github.com/corescope/corescope/internal/store"
)

const maxChannelMessages = store.MaxChannelLimit

// listChannels serves GET /api/channels[?region=&includeEncrypted=true].
func (s *Server) listChannels(w http.ResponseWriter, r *http.Request) {
	st, err := s.getStore()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	inc, err := boolParam(r.URL.Query(), "includeEncrypted")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, st.Channels(regionParam(r.URL.Query()), inc))
}

// channelMessages serves GET /api/channels/{hash}/messages?limit=&offset=&region=.
func (s *Server) channelMessages(w http.ResponseWriter, r *http.Request) {
	st, err := s.getStore()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	q := r.URL.Query()
	limit, err := limitParam(q, store.DefaultChannelLimit, maxChannelMessages)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	offset, err := offsetParam(q)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, st.ChannelMessages(mux.Vars(r)["hash"], limit, offset, regionParam(q)))
}
