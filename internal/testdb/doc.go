// Package testdb gives tests their own PostgreSQL schema on the test server,
// dropped when the test ends. A test that needs PostgreSQL skips with the
// reason when the server cannot be reached, except under CI=true, where
// that is a failure: CI must not silently skip what the machine can run.
package testdb
