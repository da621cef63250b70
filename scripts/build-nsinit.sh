#!/usr/bin/env bash
# build-nsinit.sh OUT: builds cmd/voltrun-nsinit, the linuxns sandbox init,
# as a static executable at OUT. CC picks the compiler (a cross compiler
# for another architecture).
set -euo pipefail
cd "$(dirname "$0")/.."
: "${CC:=gcc}"
command -v "$CC" >/dev/null || { echo "build-nsinit.sh: $CC not found: the sandbox init is C (apt-get install gcc libc6-dev)" >&2; exit 1; }
"$CC" -static -O2 -s -Wall -Wextra -Werror -o "$1" cmd/voltrun-nsinit/nsinit.c
