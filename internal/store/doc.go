// Package store is the GORM implementation of core.Store, on PostgreSQL in
// production and on pure-Go SQLite (modernc.org/sqlite, through the GORM
// dialector github.com/libtnb/sqlite) as the embedded single-node default.
//
// Open connects, then applies the versioned SQL migrations embedded from
// migrations/<dialect>/ before it returns, so a Store is always on the
// schema this binary was built for. The schema is written by hand per
// dialect rather than by AutoMigrate, so both databases get reviewed,
// reproducible DDL.
//
// Every database error is mapped here: a missing row becomes a
// core.CodeNotFound *core.Error, a unique violation a core.CodeConflict one,
// and anything else is wrapped as "store: <operation>: ..." for the API to
// log and answer 500. gorm.ErrRecordNotFound never leaves this package.
//
// The conformance suite all implementations must pass lives in storetest.
package store
