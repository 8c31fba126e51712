package db

import (
	"context"
	"errors"
	"io/fs"
	"path/filepath"
	"testing"
)

func TestBackupWhileWriterIsOpen(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	src := filepath.Join(dir, "live.db")
	w, err := OpenWriter(ctx, src, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	tx, o := packet("b000000000000001", "", "[]", t0)
	if _, err := w.WriteBatch(ctx, Batch{Transmissions: []Transmission{tx}, Observations: []Observation{o}}); err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(dir, "backup.db")
	if err := Backup(ctx, src, dst); err != nil {
		t.Fatalf("Backup: %v", err)
	}
	b, err := OpenReader(ctx, dst)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := CheckSchema(ctx, b); err != nil {
		t.Errorf("backup schema: %v", err)
	}
	if n := queryInt(t, b, "SELECT count(*) FROM observations"); n != 1 {
		t.Errorf("backup observations = %d, want 1", n)
	}
	if err := Backup(ctx, src, dst); !errors.Is(err, fs.ErrExist) {
		t.Errorf("second Backup to the same file = %v, want ErrExist", err)
	}
}
