package auth

import (
	"context"
	"sync"
	"time"

	"github.com/voltrun/voltrun/internal/core"
)

// KeyUse remembers when API keys were last used and writes those times to
// the store in batches, so authenticating with a key costs no write.
type KeyUse struct {
	store core.KeyStore
	mu    sync.Mutex
	used  map[string]time.Time
}

// NewKeyUse returns a tracker writing to store.
func NewKeyUse(store core.KeyStore) *KeyUse {
	return &KeyUse{store: store, used: map[string]time.Time{}}
}

// Mark records that key id was used at t.
func (u *KeyUse) Mark(id string, t time.Time) {
	u.mu.Lock()
	if t.After(u.used[id]) {
		u.used[id] = t
	}
	u.mu.Unlock()
}

// Pending returns the not yet written last use of key id, if any, so
// readers can show it before the next flush.
func (u *KeyUse) Pending(id string) (time.Time, bool) {
	u.mu.Lock()
	defer u.mu.Unlock()
	t, ok := u.used[id]
	return t, ok
}

// Flush writes the pending times; on failure they are kept for the next try.
func (u *KeyUse) Flush(ctx context.Context) error {
	u.mu.Lock()
	pending := u.used
	u.used = map[string]time.Time{}
	u.mu.Unlock()
	if len(pending) == 0 {
		return nil
	}
	if err := u.store.TouchKeys(ctx, pending); err != nil {
		for id, t := range pending {
			u.Mark(id, t)
		}
		return err
	}
	return nil
}

// Run flushes every interval until ctx ends, then flushes once more with a
// context detached from ctx's cancellation, so a clean shutdown loses nothing.
func (u *KeyUse) Run(ctx context.Context, interval time.Duration, onErr func(error)) {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-tick.C:
			if err := u.Flush(ctx); err != nil {
				onErr(err)
			}
		case <-ctx.Done():
			final, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			defer cancel()
			if err := u.Flush(final); err != nil {
				onErr(err)
			}
			return
		}
	}
}
