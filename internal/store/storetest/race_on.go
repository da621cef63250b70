//go:build race

package storetest

// raceEnabled is set when the suite runs under the race detector, which
// slows the pure-Go SQLite engine some twentyfold.
const raceEnabled = true
