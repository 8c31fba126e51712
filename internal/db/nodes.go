package db

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
)

// DeleteNodes deletes the given nodes (by public key, case-insensitive) from
// nodes and inactive_nodes, for the server's geo-prune requests (STORAGE.md
// §8). Packet history stays. It returns the number of rows deleted.
func (w *Writer) DeleteNodes(ctx context.Context, pubkeys []string) (int64, error) {
	var total int64
	for start := 0; start < len(pubkeys); start += 1000 {
		end := min(start+1000, len(pubkeys))
		keys := make([]string, 0, end-start)
		for _, k := range pubkeys[start:end] {
			keys = append(keys, strings.ToLower(strings.TrimSpace(k)))
		}
		list, _ := json.Marshal(keys)
		err := w.inTx(ctx, func(tx *sql.Tx) error {
			for _, q := range []string{sqlDeleteNodes, sqlDeleteInactiveNodes} {
				n, err := execCount(ctx, tx, q, string(list))
				if err != nil {
					return err
				}
				total += n
			}
			return nil
		})
		if err != nil {
			return total, fmt.Errorf("delete nodes: %w", err)
		}
	}
	return total, nil
}

// Multibyte is one node's multi-byte path-hash capability as computed by the
// server (STORAGE.md §8 mbcap-snapshot). Sup 0 means unknown.
type Multibyte struct {
	PublicKey string
	Sup       int
	Evidence  string
}

const sqlSetMultibyte = `UPDATE %s SET multibyte_sup = ?, multibyte_evidence = ? WHERE public_key = ?`

// SetMultibyte persists capabilities on nodes and inactive_nodes in one
// transaction. Entries with Sup 0 (unknown) are skipped, so a weaker
// snapshot never erases known capability. It returns the rows updated.
func (w *Writer) SetMultibyte(ctx context.Context, caps []Multibyte) (int64, error) {
	var total int64
	err := w.inTx(ctx, func(tx *sql.Tx) error {
		for _, table := range []string{"nodes", "inactive_nodes"} {
			st, err := tx.PrepareContext(ctx, fmt.Sprintf(sqlSetMultibyte, table))
			if err != nil {
				return err
			}
			for _, c := range caps {
				if c.Sup == 0 || c.PublicKey == "" {
					continue
				}
				r, err := st.ExecContext(ctx, c.Sup, nullStr(c.Evidence), strings.ToLower(c.PublicKey))
				if err != nil {
					st.Close()
					return err
				}
				n, _ := r.RowsAffected()
				total += n
			}
			st.Close()
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("set multibyte capability: %w", err)
	}
	return total, nil
}

// sqlDeactivateObservers soft-deletes observers by id, case-insensitively:
// bridges are free in how they case their topic segment, the blacklist is
// typed by an operator. Already-inactive rows are left alone so the count
// says what changed.
const sqlDeactivateObservers = `UPDATE observers SET inactive = 1
WHERE lower(id) IN (SELECT lower(value) FROM json_each(?)) AND COALESCE(inactive, 0) = 0`

// DeactivateObservers sets inactive = 1 on the given observers (INGEST.md §1
// step 4, observerBlacklist). It returns the number of rows changed. The
// observers table is small (one row per bridge), so the scan that lower(id)
// costs is cheaper than keeping a second index.
func (w *Writer) DeactivateObservers(ctx context.Context, ids []string) (int64, error) {
	keys := make([]string, 0, len(ids))
	for _, id := range ids {
		if id = strings.TrimSpace(id); id != "" {
			keys = append(keys, id)
		}
	}
	if len(keys) == 0 {
		return 0, nil
	}
	list, err := json.Marshal(keys)
	if err != nil {
		return 0, fmt.Errorf("deactivate observers: %w", err)
	}
	var n int64
	err = w.inTx(ctx, func(tx *sql.Tx) error {
		n, err = execCount(ctx, tx, sqlDeactivateObservers, string(list))
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("deactivate observers: %w", err)
	}
	return n, nil
}
