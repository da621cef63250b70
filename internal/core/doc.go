// Package core holds VoltRun's domain: the types every other package speaks
// (users, functions, API keys), the small store interfaces their consumers
// need, and Error, the one error shape that crosses package boundaries.
//
// core imports nothing else of VoltRun; adapters (store, api, sandbox
// drivers) depend on it, never the other way round.
package core
