package fncache

import (
	"context"
	"testing"
	"time"

	"github.com/voltrun/voltrun/internal/core"
)

// countingStore answers from maps and counts reads.
type countingStore struct {
	fns   map[string]*core.Function
	reads int
}

func (s *countingStore) Function(_ context.Context, _, idOrName string) (*core.Function, error) {
	s.reads++
	for _, f := range s.fns {
		if f.ID == idOrName || f.Name == idOrName {
			cp := *f
			return &cp, nil
		}
	}
	return nil, core.Errorf(core.CodeNotFound, "function not found")
}

func (s *countingStore) PublicFunction(ctx context.Context, name string) (*core.Function, error) {
	return s.Function(ctx, "", name)
}

func (s *countingStore) Version(_ context.Context, _, fnID string, n int) (*core.Version, error) {
	s.reads++
	return &core.Version{FunctionID: fnID, Number: n, Code: make([]byte, 10)}, nil
}

func (s *countingStore) Alias(_ context.Context, _, fnID, name string) (*core.Alias, error) {
	s.reads++
	return &core.Alias{FunctionID: fnID, Name: name, Version: 1}, nil
}

func TestCache(t *testing.T) {
	st := &countingStore{fns: map[string]*core.Function{"a": {ID: "id-a", Name: "a", Code: make([]byte, 40)}}}
	c := New(st, time.Second, 100)
	now := time.Unix(0, 0)
	c.now = func() time.Time { return now }
	ctx := context.Background()

	for _, ref := range []string{"a", "id-a", "a"} {
		if f, err := c.Function(ctx, "o", ref); err != nil || f.ID != "id-a" {
			t.Fatalf("%s: %v %v", ref, f, err)
		}
	}
	if st.reads != 1 {
		t.Fatalf("%d reads: by name and by id must share one entry", st.reads)
	}
	if _, err := c.Function(ctx, "o", "missing"); !core.IsNotFound(err) {
		t.Fatalf("missing: %v", err)
	}

	now = now.Add(2 * time.Second) // past the TTL
	_, _ = c.Function(ctx, "o", "a")
	if st.reads != 3 {
		t.Fatalf("%d reads: an expired draft must be read again", st.reads)
	}
	c.Forget("id-a")
	_, _ = c.Function(ctx, "o", "id-a")
	if st.reads != 4 {
		t.Fatalf("%d reads: Forget must drop the function", st.reads)
	}

	// Versions never expire, but the byte bound evicts the least recent.
	_, _ = c.Version(ctx, "o", "id-a", 1)
	now = now.Add(time.Hour)
	_, _ = c.Version(ctx, "o", "id-a", 1)
	if st.reads != 5 {
		t.Fatalf("%d reads: a version must stay cached", st.reads)
	}
	for i := 2; i < 12; i++ {
		_, _ = c.Version(ctx, "o", "id-b", i)
	}
	if c.bytes > 100 {
		t.Fatalf("%d bytes cached, bound is 100", c.bytes)
	}
	before := st.reads
	_, _ = c.Version(ctx, "o", "id-a", 1)
	if st.reads != before+1 {
		t.Fatal("the least recently used entry was not evicted")
	}
	_, _ = c.Alias(ctx, "o", "id-a", "prod")
	_, _ = c.Alias(ctx, "o", "id-a", "prod")
	if st.reads != before+2 {
		t.Fatalf("alias not cached: %d reads", st.reads-before)
	}
	if c.Len() == 0 {
		t.Fatal("Len reports an empty cache")
	}
}
