package ingesttest

// MetricsAddr is the address of the ingestor's /metrics listener ("" when
// cfg.MetricsListen is empty; use "127.0.0.1:0" in tests).
func (i *Ingestor) MetricsAddr() string { return i.ing.MetricsAddr() }
