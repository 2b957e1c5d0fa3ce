#!/usr/bin/env bash
# Builds the Kubernetes pause binary (the process that holds each pod's namespaces) from
# build/pause/linux/pause.c of the k8s.io/kubernetes module at tools/kube/versions.env's
# KUBE_VERSION, with that release's build/pause/Makefile flags (`gcc -Os -Wall -Werror -static
# -DVERSION=v<tag>-<rev>`, then strip), unless the cache already holds it, and prints its path.
# Needs go (to fetch the module through the module proxy) and gcc with a static glibc (libc6-dev).
#
#   tools/images/pause.sh
#
# Cache: ${FIREDRILL_TOOLS_CACHE:-$HOME/.cache/firedrill/tools}/pause-<version>/pause.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=versions.env
source "$here/versions.env"
# shellcheck source=../kube/versions.env
source "$here/../kube/versions.env"

dir="${FIREDRILL_TOOLS_CACHE:-$HOME/.cache/firedrill/tools}/pause-$PAUSE_VERSION"
if [[ -x "$dir/pause" ]]; then
    echo "$dir/pause"
    exit 0
fi
for tool in go gcc strip; do
    command -v "$tool" >/dev/null || { echo "pause.sh: $tool is needed to build pause" >&2; exit 1; }
done
work="$(mktemp -d)"
# The module cache is read-only; make it removable.
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT
echo "pause.sh: building pause $PAUSE_VERSION from k8s.io/kubernetes@$KUBE_VERSION" >&2
(cd "$work" && GOFLAGS=-mod=mod GOMODCACHE="$work/gomod" \
    go mod download -json "k8s.io/kubernetes@$KUBE_VERSION" >"$work/download.json") || {
    echo "pause.sh: downloading k8s.io/kubernetes@$KUBE_VERSION failed (see above)" >&2
    exit 1
}
src="$work/gomod/k8s.io/kubernetes@$KUBE_VERSION/build/pause"
tag="$(sed -n 's/^TAG ?= *//p' "$src/Makefile")"
if [[ "$tag" != "$PAUSE_VERSION" ]]; then
    echo "pause.sh: k8s.io/kubernetes@$KUBE_VERSION builds pause $tag, not $PAUSE_VERSION;" \
        "set PAUSE_VERSION in tools/images/versions.env (and the image's tag) to $tag" >&2
    exit 1
fi
# The Makefile's CFLAGS line, with REV (`git describe` of the release) as the module's version.
cflags="$(sed -n 's/^CFLAGS = *//p' "$src/Makefile")"
cflags="${cflags//\$(TAG)/$tag}"
cflags="${cflags//\$(REV)/$KUBE_VERSION}"
# shellcheck disable=SC2016 # a literal `$(`: a make variable left unexpanded
[[ "$cflags" == *-static* && "$cflags" != *'$('* ]] || {
    echo "pause.sh: unexpected CFLAGS in build/pause/Makefile: $cflags" >&2
    exit 1
}
mkdir -p "$dir"
# shellcheck disable=SC2086 # the flags are words
gcc $cflags -o "$dir/pause.tmp" "$src/linux/pause.c"
strip "$dir/pause.tmp"
mv "$dir/pause.tmp" "$dir/pause"
echo "$dir/pause"
