// Package loopback switches a network namespace's loopback device on and
// unplugs it, over rtnetlink, for the gvisor driver on the host and for its
// init inside each sandbox (which links nothing heavier for it).
package loopback
