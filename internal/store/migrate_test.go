package store

import (
	"strings"
	"testing"
	"testing/fstest"
)

func TestLoadMigrations(t *testing.T) {
	t.Parallel()
	file := func(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }
	tests := []struct {
		name    string
		files   fstest.MapFS
		want    int
		wantErr string
	}{
		{"in order", fstest.MapFS{"m/0001_a.sql": file("A"), "m/0002_b_c.sql": file("B")}, 2, ""},
		{"gap", fstest.MapFS{"m/0001_a.sql": file("A"), "m/0003_c.sql": file("C")}, 0, "want version 2"},
		{"duplicate", fstest.MapFS{"m/0001_a.sql": file("A"), "m/0001_b.sql": file("B")}, 0, "want version 2"},
		{"starts at 2", fstest.MapFS{"m/0002_a.sql": file("A")}, 0, "want version 1"},
		{"bad name", fstest.MapFS{"m/0001_a.sql": file("A"), "m/2_b.sql": file("B")}, 0, "name must look like"},
		{"not sql", fstest.MapFS{"m/0001_a.txt": file("A")}, 0, "name must look like"},
		{"missing dir", fstest.MapFS{}, 0, "read migrations"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ms, err := loadMigrations(tt.files, "m")
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || len(ms) != tt.want {
				t.Fatalf("loaded %d, %v; want %d", len(ms), err, tt.want)
			}
		})
	}
}

// TestEmbeddedMigrations checks both dialects ship the same versions, so a
// migration is never written for one database only.
func TestEmbeddedMigrations(t *testing.T) {
	t.Parallel()
	pg, err := loadMigrations(migrationFiles, "migrations/"+DialectPostgres)
	if err != nil {
		t.Fatal(err)
	}
	lite, err := loadMigrations(migrationFiles, "migrations/"+DialectSQLite)
	if err != nil {
		t.Fatal(err)
	}
	if len(pg) == 0 || len(pg) != len(lite) {
		t.Fatalf("postgres has %d migrations, sqlite %d; want the same, at least one", len(pg), len(lite))
	}
	for i := range pg {
		if pg[i].name != lite[i].name {
			t.Errorf("migration %d is %q on postgres, %q on sqlite", i+1, pg[i].name, lite[i].name)
		}
	}
}
