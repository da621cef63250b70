#!/usr/bin/env bash
# Installs gVisor's runsc, the OCI runtime behind VoltRun's "gvisor" sandbox
# driver, at the version the driver is tested with. Idempotent: it does
# nothing when that version is already installed.
#
#   scripts/install-runsc.sh          # installs into $(go env GOPATH)/bin
#   RUNSC_BIN_DIR=/usr/local/bin scripts/install-runsc.sh
#
# Why go install and not a distribution package: Debian's runsc (2022) has no
# systrap platform, the only one that works on hosts without usable KVM.
# CGO_ENABLED=0 is required: a cgo build fails when a sandbox starts
# ("fork/exec /proc/self/exe: no such file or directory").
set -euo pipefail

RUNSC_MODULE="gvisor.dev/gvisor/runsc"
RUNSC_VERSION="v0.0.0-20260905035102-160fafc42237"

command -v go >/dev/null || { echo "install-runsc: go is not on PATH (Go 1.26 is needed to build runsc)" >&2; exit 1; }
gobin="$(go env GOPATH)/bin"
bin_dir="${RUNSC_BIN_DIR:-$gobin}"

# installed_version prints the module version a runsc binary was built from
# ("" when it is absent or not a go-installed build).
installed_version() {
	[ -x "$1" ] || return 0
	go version -m "$1" 2>/dev/null | awk -v m="$RUNSC_MODULE" '$1 == "mod" && $2 ~ "^gvisor.dev/gvisor" { print $3; exit }'
}

# is_static succeeds when the binary has no dynamic loader (cgo builds do).
is_static() {
	! go version -m "$1" 2>/dev/null | grep -q 'CGO_ENABLED=1'
}

candidates=("$bin_dir/runsc")
if p="$(command -v runsc 2>/dev/null)"; then candidates+=("$p"); fi
for c in "${candidates[@]}"; do
	if [ "$(installed_version "$c")" = "$RUNSC_VERSION" ] && is_static "$c"; then
		echo "runsc $RUNSC_VERSION already installed: $c"
		exit 0
	fi
done

echo "install-runsc: building $RUNSC_MODULE@$RUNSC_VERSION (static, about a minute)..." >&2
mkdir -p "$bin_dir"
CGO_ENABLED=0 GOBIN="$bin_dir" go install "$RUNSC_MODULE@$RUNSC_VERSION"
v="$(installed_version "$bin_dir/runsc")"
if [ "$v" != "$RUNSC_VERSION" ]; then
	echo "install-runsc: $bin_dir/runsc reports version '$v', want $RUNSC_VERSION" >&2
	exit 1
fi
echo "runsc $RUNSC_VERSION installed: $bin_dir/runsc"
case ":$PATH:" in
*":$bin_dir:"*) ;;
*) echo "note: $bin_dir is not on PATH; the gvisor driver also looks in \$(go env GOPATH)/bin, or set its RunscPath" >&2 ;;
esac
