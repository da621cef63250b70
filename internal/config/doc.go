// Package config builds VoltRun's one Config from flags and the environment
// (including a .env file), validates it once, and hands it to cmd/voltrun,
// which passes the parts each component needs down explicitly.
package config
