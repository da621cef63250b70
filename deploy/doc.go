// Package deploy holds VoltRun's deployment files: the container image
// (Dockerfile, docker-entrypoint.sh), the Compose file with PostgreSQL, and
// the systemd unit. It has no Go code to import; its tests check those
// files, the CI workflows and the configuration table of docs/deploy.md
// with what runs on a machine without a Docker engine.
package deploy
