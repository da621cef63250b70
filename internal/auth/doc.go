// Package auth holds VoltRun's credentials: bcrypt passwords, HS256 login
// tokens, API keys (random secrets stored only as SHA-256 hashes, with
// scopes), the authenticated Principal carried in a request's context, a
// batched last-used tracker for keys, and the login attempt limiter.
package auth
