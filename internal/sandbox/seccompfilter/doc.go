// Package seccompfilter is the seccomp policy every sandbox driver installs
// in its init before starting a function's runtime: a deny-list of the
// kernel interfaces functions have no use for, returning EPERM. The host
// assembles it (Program); the init only loads the result.
package seccompfilter
