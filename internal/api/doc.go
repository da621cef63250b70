// Package api is VoltRun's HTTP surface: the Fiber application, its
// middleware (request ids, access logs, metrics, authentication, scopes),
// the handlers of the public contract in API.md, and the single place where
// domain errors become HTTP statuses.
//
// api never imports a sandbox driver or GORM: it speaks to the domain
// through the interfaces in internal/core and the values in Deps.
package api
