// Package db owns CoreScope's SQLite database: the schema, its ordered
// name-keyed migrations, the single batched writer used by the ingestor,
// retention, and the read-only connection used by the server. All SQL lives
// here.
//
// Ingestor (the only writer):
//
//	w, err := db.OpenWriter(ctx, cfg.DBPath, db.Options{Logger: log})  // opens + migrates
//	res, err := w.WriteBatch(ctx, db.Batch{Observers: …, Transmissions: …, Observations: …})
//	w.Prune(ctx, db.Retention{PacketDays: cfg.Retention.PacketDays, …}, time.Now()) // periodic
//	go w.RunCheckpointer(ctx, time.Minute)                             // WAL policy
//	w.BuildNeighborEdges(ctx, 0, 0)                                    // every 60 s
//	w.DeleteNodes(ctx, pubkeys)                                        // geo-prune requests
//	w.DeactivateObservers(ctx, cfg.ObserverBlacklist)                  // at start (soft delete)
//	w.Close()                                                          // TRUNCATE checkpoint
//
// Server (read-only):
//
//	rdb, err := db.OpenReader(ctx, path)          // mode=ro, query_only, busy_timeout
//	err = db.WaitForSchema(ctx, rdb, 2*time.Second, 60*time.Second, log)
//	// errors.Is(err, db.ErrSchemaBehind): ingestor has not migrated yet
//	// errors.Is(err, db.ErrSchemaNewer): refuse to start
//	err = db.Backup(ctx, path, "/tmp/snapshot.db") // consistent copy (GET /api/backup)
//
// Time columns: every TEXT time we write is RFC 3339 UTC with second
// precision (TimeFormat); observations.timestamp is INTEGER unix seconds.
// observations.observer_idx references observers.idx, an explicit INTEGER
// PRIMARY KEY (rowid alias) that VACUUM cannot renumber.
//
// A database written by the original CoreScope (13bdee57) is migrated in place
// and never dropped: see migrate.go.
package db
