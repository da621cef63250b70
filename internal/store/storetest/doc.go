// Package storetest is the conformance suite every core.Store
// implementation must pass. internal/store runs it on SQLite and on a real
// PostgreSQL, so the two databases are held to one behaviour: the same
// errors, the same ordering, the same round-tripped values.
package storetest
