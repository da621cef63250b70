// Package fncache keeps recently invoked functions, versions and aliases in
// memory so that a warm call costs no database round trip. Drafts and
// aliases can change, so they expire after a short TTL and are dropped at
// once when this server changes them; versions are immutable and stay
// until evicted. Entries are bounded by the total size of their code.
package fncache
