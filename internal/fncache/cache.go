package fncache

import (
	"container/list"
	"context"
	"strconv"
	"sync"
	"time"

	"github.com/voltrun/voltrun/internal/core"
)

// Store is what the cache reads through.
type Store interface {
	Function(ctx context.Context, ownerID, idOrName string) (*core.Function, error)
	PublicFunction(ctx context.Context, name string) (*core.Function, error)
	Version(ctx context.Context, ownerID, functionID string, number int) (*core.Version, error)
	Alias(ctx context.Context, ownerID, functionID, name string) (*core.Alias, error)
}

// Cache is a size-bounded LRU over Store. Returned values are shared: the
// caller must not modify them.
type Cache struct {
	store    Store
	ttl      time.Duration
	maxBytes int64
	now      func() time.Time

	mu    sync.Mutex
	items map[string]*list.Element
	lru   *list.List // front = most recent
	bytes int64
}

type entry struct {
	keys    []string // every key naming this value
	fnID    string   // the function it belongs to, for invalidation
	value   any
	size    int64
	expires time.Time // zero: never (versions)
}

// New returns a cache reading through store, keeping mutable entries for
// ttl and at most maxBytes of code.
func New(store Store, ttl time.Duration, maxBytes int64) *Cache {
	return &Cache{store: store, ttl: ttl, maxBytes: maxBytes, now: time.Now, items: map[string]*list.Element{}, lru: list.New()}
}

// Function is Store.Function, cached under both the id and the name.
func (c *Cache) Function(ctx context.Context, ownerID, idOrName string) (*core.Function, error) {
	if v, ok := c.get("f|" + ownerID + "|" + idOrName); ok {
		return v.(*core.Function), nil
	}
	f, err := c.store.Function(ctx, ownerID, idOrName)
	if err != nil {
		return nil, err
	}
	c.put(f.ID, f, int64(len(f.Code)), true, "f|"+ownerID+"|"+f.ID, "f|"+ownerID+"|"+f.Name)
	return f, nil
}

// PublicFunction is Store.PublicFunction, cached.
func (c *Cache) PublicFunction(ctx context.Context, name string) (*core.Function, error) {
	if v, ok := c.get("p|" + name); ok {
		return v.(*core.Function), nil
	}
	f, err := c.store.PublicFunction(ctx, name)
	if err != nil {
		return nil, err
	}
	c.put(f.ID, f, int64(len(f.Code)), true, "p|"+name)
	return f, nil
}

// Version is Store.Version, cached until evicted: versions never change.
func (c *Cache) Version(ctx context.Context, ownerID, functionID string, number int) (*core.Version, error) {
	key := "v|" + ownerID + "|" + functionID + "|" + strconv.Itoa(number)
	if v, ok := c.get(key); ok {
		return v.(*core.Version), nil
	}
	v, err := c.store.Version(ctx, ownerID, functionID, number)
	if err != nil {
		return nil, err
	}
	c.put(functionID, v, int64(len(v.Code)), false, key)
	return v, nil
}

// Alias is Store.Alias, cached for the TTL.
func (c *Cache) Alias(ctx context.Context, ownerID, functionID, name string) (*core.Alias, error) {
	key := "a|" + ownerID + "|" + functionID + "|" + name
	if v, ok := c.get(key); ok {
		return v.(*core.Alias), nil
	}
	a, err := c.store.Alias(ctx, ownerID, functionID, name)
	if err != nil {
		return nil, err
	}
	c.put(functionID, a, 0, true, key)
	return a, nil
}

// Forget drops everything cached about a function: call it after changing
// or deleting the function, its versions or its aliases.
func (c *Cache) Forget(functionID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for e := c.lru.Front(); e != nil; {
		next := e.Next()
		if e.Value.(*entry).fnID == functionID {
			c.remove(e)
		}
		e = next
	}
}

func (c *Cache) get(key string) (any, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.items[key]
	if !ok {
		return nil, false
	}
	en := el.Value.(*entry)
	if !en.expires.IsZero() && c.now().After(en.expires) {
		c.remove(el)
		return nil, false
	}
	c.lru.MoveToFront(el)
	return en.value, true
}

func (c *Cache) put(fnID string, value any, size int64, expires bool, keys ...string) {
	if size > c.maxBytes {
		return
	}
	en := &entry{keys: keys, fnID: fnID, value: value, size: size}
	if expires {
		en.expires = c.now().Add(c.ttl)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, k := range keys {
		if old, ok := c.items[k]; ok {
			c.remove(old)
		}
	}
	el := c.lru.PushFront(en)
	for _, k := range keys {
		c.items[k] = el
	}
	c.bytes += size
	for c.bytes > c.maxBytes {
		c.remove(c.lru.Back())
	}
}

func (c *Cache) remove(el *list.Element) {
	en := el.Value.(*entry)
	for _, k := range en.keys {
		if c.items[k] == el {
			delete(c.items, k)
		}
	}
	c.lru.Remove(el)
	c.bytes -= en.size
}

// Len is the number of cached values.
func (c *Cache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.Len()
}
