#!/bin/sh
# Prepares the container's cgroup v2 tree for the sandbox, then runs the
# command (voltrun server by default).
#
# In a private cgroup namespace the container's cgroup is not the real root,
# so the kernel's "no internal processes" rule applies: controllers can be
# enabled for child groups only once no process sits in the group itself.
# Move every process into a leaf (init/) and delegate the controllers, as
# docker-in-docker does. On cgroup v1 hosts there is nothing to do here (the
# container must be privileged there; see docs/deploy.md).
set -eu

cg=/sys/fs/cgroup
if [ -f "$cg/cgroup.controllers" ] && [ "${VOLTRUN_SKIP_CGROUP_SETUP:-}" != 1 ]; then
  # Docker mounts the tree read-only unless privileged; CAP_SYS_ADMIN may remount it.
  if ! touch "$cg/.voltrun-rw" 2>/dev/null; then
    mount -o remount,rw "$cg" 2>/dev/null || echo "docker-entrypoint: $cg is read-only; the sandbox will not start (see docs/deploy.md)" >&2
  fi
  rm -f "$cg/.voltrun-rw" 2>/dev/null || true
  if [ -w "$cg/cgroup.subtree_control" ]; then
    mkdir -p "$cg/init"
    # Move every process out of the root group; one may exit meanwhile.
    while read -r pid; do
      echo "$pid" > "$cg/init/cgroup.procs" 2>/dev/null || true
    done < "$cg/cgroup.procs"
    # cgroup.controllers is one line of space-separated names.
    read -r controllers < "$cg/cgroup.controllers" || true
    for c in $controllers; do
      echo "+$c" > "$cg/cgroup.subtree_control" 2>/dev/null || true
    done
  fi
fi

exec "$@"
