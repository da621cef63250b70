// Package bundle turns the three ways a function's code arrives (one source
// text, a map of files, a zip archive) into one canonical form: a
// deterministic zip archive with its SHA-256. It validates what arrives
// (size caps, file count, no absolute paths, no "..", no links) and writes a
// bundle out to a directory for a sandbox to mount read-only.
package bundle
