#!/usr/bin/env bash
# Installs gVisor's runsc, the OCI runtime behind VoltRun's "gvisor" sandbox
# driver, at the version the driver is tested with. Idempotent: it does
# nothing when that version is already installed.
#
#   scripts/install-runsc.sh          # installs into $(go env GOPATH)/bin
#   RUNSC_BIN_DIR=/usr/local/bin scripts/install-runsc.sh
#
# Why a Go build and not a distribution package: Debian's runsc (2022) has no
# systrap platform, the only one that works on hosts without usable KVM.
# CGO_ENABLED=0 is required: a cgo build fails when a sandbox starts
# ("fork/exec /proc/self/exe: no such file or directory").
#
# It builds from a copy of the Go module with the sentry's (systrap) and the
# gofer's seccomp programs precompiled by scripts/runsc-seccomp/gen.go, as
# gVisor's own builds have them: a plain "go install" leaves them out, and
# every sandbox then compiles both filters as it starts (20-35 ms of each
# boot and restore, docs/benchmarks.md round 13). It also applies the patches
# in scripts/runsc-patches (each says why in its header). The build's version
# (runsc --version) says so.
set -euo pipefail

RUNSC_VERSION="v0.0.0-20260905035102-160fafc42237"
RUNSC_BUILD="$RUNSC_VERSION+voltrun.3" # bump the suffix when gen.go or a patch changes

command -v go >/dev/null || { echo "install-runsc: go is not on PATH (Go 1.26 is needed to build runsc)" >&2; exit 1; }
gobin="$(go env GOPATH)/bin"
bin_dir="${RUNSC_BIN_DIR:-$gobin}"

# installed_build prints the version a runsc binary reports ("" when absent).
installed_build() {
	[ -x "$1" ] || return 0
	"$1" --version 2>/dev/null | awk 'NR == 1 && $1 == "runsc" && $2 == "version" { print $3 }'
}

# is_static succeeds when the binary has no dynamic loader (cgo builds do).
is_static() {
	! go version -m "$1" 2>/dev/null | grep -q 'CGO_ENABLED=1'
}

candidates=("$bin_dir/runsc")
if p="$(command -v runsc 2>/dev/null)"; then candidates+=("$p"); fi
for c in "${candidates[@]}"; do
	if [ "$(installed_build "$c")" = "$RUNSC_BUILD" ] && is_static "$c"; then
		echo "runsc $RUNSC_BUILD already installed: $c"
		exit 0
	fi
done

command -v git >/dev/null || { echo "install-runsc: git is not on PATH (it applies scripts/runsc-patches)" >&2; exit 1; }
echo "install-runsc: building runsc $RUNSC_BUILD (static, with precompiled seccomp programs and scripts/runsc-patches; about two minutes)..." >&2
scripts="$(cd "$(dirname "$0")" && pwd)"
gen="$scripts/runsc-seccomp/gen.go"
work="$(mktemp -d)"
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT
mod_dir="$(go mod download -json "gvisor.dev/gvisor@$RUNSC_VERSION" | awk -F'"' '$2 == "Dir" { print $4 }')"
[ -d "$mod_dir" ] || { echo "install-runsc: could not download gvisor.dev/gvisor@$RUNSC_VERSION" >&2; exit 1; }
cp -r "$mod_dir" "$work/gvisor"
chmod -R u+w "$work/gvisor"
mkdir "$work/gvisor/voltrun_seccomp_gen"
cp "$gen" "$work/gvisor/voltrun_seccomp_gen/gen.go"
(
	cd "$work/gvisor"
	export CGO_ENABLED=0 GOFLAGS=-mod=mod
	go run ./voltrun_seccomp_gen/gen.go boot systrap >"$work/boot.go"
	go run ./voltrun_seccomp_gen/gen.go fsgofer >"$work/fsgofer.go"
	rm -r voltrun_seccomp_gen
	for p in "$scripts"/runsc-patches/*.patch; do
		GIT_CEILING_DIRECTORIES="$work" git apply "$p" || { echo "install-runsc: $p does not apply" >&2; exit 1; }
	done
	mv "$work/boot.go" runsc/boot/filter/filter_precompiled.go
	mv "$work/fsgofer.go" runsc/fsgofer/filter/filter_precompiled.go
	go build -trimpath -ldflags "-X gvisor.dev/gvisor/runsc/version.version=$RUNSC_BUILD" -o "$work/runsc" ./runsc
)
v="$(installed_build "$work/runsc")"
if [ "$v" != "$RUNSC_BUILD" ]; then
	echo "install-runsc: the new runsc reports version '$v', want $RUNSC_BUILD" >&2
	exit 1
fi
mkdir -p "$bin_dir"
install -m 0755 "$work/runsc" "$bin_dir/runsc"
echo "runsc $RUNSC_BUILD installed: $bin_dir/runsc"
case ":$PATH:" in
*":$bin_dir:"*) ;;
*) echo "note: $bin_dir is not on PATH; the gvisor driver also looks in \$(go env GOPATH)/bin, or set its RunscPath" >&2 ;;
esac
