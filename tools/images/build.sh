#!/usr/bin/env bash
# Builds the container images a single-node CI cluster runs, without Docker or a registry: each
# is an OCI image archive (tools/images/oci.py) that `ctr -n k8s.io images import` loads under
# the reference the chart (or the kubelet) asks for, so nothing is ever pulled.
#
#   tools/images/build.sh OUT_DIR [NAME...]    # all images, or only these short names
#   tools/images/build.sh --list               # NAME REFERENCE, one image a line
#
# Prints "REFERENCE ARCHIVE" per image on stdout; progress goes to stderr.
#
#   firedrill      the project image, exactly what the Dockerfile's runtime stage ships (binary
#                  list, COPYs, LABEL/ENV/USER/ENTRYPOINT/CMD are read from the Dockerfile), from
#                  the host's release binaries; its root is also left in target/image-root/ for
#                  `docker build --target prebuilt` (see the Dockerfile)
#   prometheus     tools/prometheus/ensure.sh's binary (v3.5.0 = Go module v0.305.0; no web UI)
#   jaeger         tools/jaeger/ensure.sh's binary (Jaeger v2.13.0 = Go module v1.76.0)
#   victoria-logs  tools/victorialogs/ensure.sh's binary
#   pause          tools/images/pause.sh's binary (Kubernetes' pause.c, built as its Makefile does)
#   coredns        tools/coredns/ensure.sh's binary, with cap_net_bind_service as upstream's image
#
# Dynamically linked binaries get the exact files `ldd` names, copied from this host at the same
# paths; every image but pause gets /etc/passwd and /etc/group (root, nonroot 65532, nobody
# 65534), the host's CA bundle and an empty /tmp. The Go builds are not started here: a missing
# input stops the script with the command that makes it.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
# shellcheck source=../jaeger/versions.env
source "$repo/tools/jaeger/versions.env"
# shellcheck source=../victorialogs/versions.env
source "$repo/tools/victorialogs/versions.env"
# shellcheck source=../coredns/versions.env
source "$repo/tools/coredns/versions.env"
# shellcheck source=../prometheus/versions.env
source "$repo/tools/prometheus/versions.env"
# shellcheck source=versions.env
source "$here/versions.env"
cache="${FIREDRILL_TOOLS_CACHE:-$HOME/.cache/firedrill/tools}"
target="${CARGO_TARGET_DIR:-$repo/target}"
dockerfile="$repo/Dockerfile"

# The chart's references (operator/tests/chart/images.rs checks them against the rendered chart).
# Jaeger's image tags are v2 release numbers; its Go module is still v1.x (v2.13.0 = v1.76.0).
[[ "$JAEGER_VERSION" == v1.76.0 ]] || {
    echo "build.sh: tools/jaeger/versions.env is $JAEGER_VERSION; set the Jaeger v2 tag below to match" >&2
    exit 1
}
images=(
    "firedrill docker.io/library/firedrill:0.1.0"
    "prometheus docker.io/prom/prometheus:v$PROMETHEUS_RELEASE"
    "jaeger docker.io/jaegertracing/jaeger:2.13.0"
    "victoria-logs docker.io/victoriametrics/victoria-logs:$VICTORIALOGS_VERSION"
    "pause registry.k8s.io/pause:$PAUSE_VERSION"
    "coredns registry.k8s.io/coredns/coredns:$COREDNS_VERSION"
)

say() { echo "build.sh: $*" >&2; }
die() { say "$*"; exit 1; }

# === inputs ===

jaeger_bin="$cache/jaeger-$JAEGER_VERSION/jaeger"
victorialogs_bin="$cache/victoria-logs-$VICTORIALOGS_VERSION/victoria-logs"
coredns_bin="$cache/coredns-$COREDNS_VERSION/coredns"
prometheus_bin="$cache/prometheus-$PROMETHEUS_VERSION/prometheus"

# Callers assign the output to a variable first, so that a failure stops the script (set -e
# does not see a command substitution inside a `for` list).
firedrill_bins() { python3 "$here/dockerfile.py" "$dockerfile" build binaries; }

# Every missing input of the chosen images, each with the command that makes it.
check_inputs() {
    local missing=() name bin
    for tool in python3 ldd strip; do
        command -v "$tool" >/dev/null || missing+=("$tool (apt-get install python3 libc-bin binutils)")
    done
    [[ ${#missing[@]} -eq 0 ]] || { printf 'build.sh: missing %s\n' "${missing[@]}" >&2; exit 1; }
    for name in "$@"; do
        case "$name" in
        firedrill)
            local absent=() bins
            bins="$(firedrill_bins)"
            for bin in $bins; do
                [[ -x "$target/release/$bin" ]] || absent+=("$bin")
            done
            [[ ${#absent[@]} -eq 0 ]] ||
                missing+=("${absent[*]} in $target/release (cargo build --release --bins, or: make release)") ;;
        prometheus)
            [[ -x "$prometheus_bin" ]] ||
                missing+=("$prometheus_bin (tools/prometheus/ensure.sh; minutes the first time)") ;;
        jaeger) [[ -x "$jaeger_bin" ]] || missing+=("$jaeger_bin (tools/jaeger/ensure.sh, or: make jaeger)") ;;
        victoria-logs)
            [[ -x "$victorialogs_bin" ]] ||
                missing+=("$victorialogs_bin (tools/victorialogs/ensure.sh, or: make victorialogs)") ;;
        coredns)
            [[ -x "$coredns_bin" ]] || missing+=("$coredns_bin (tools/coredns/ensure.sh; minutes the first time)") ;;
        pause) ;; # seconds to build: pause.sh runs below when the cache lacks it
        esac
    done
    [[ ${#missing[@]} -eq 0 ]] || { printf 'build.sh: missing %s\n' "${missing[@]}" >&2; exit 1; }
}

# === image roots ===

# The libraries the dynamic loader maps for BINARY, as `ldd` resolves them on this host.
libraries() {
    local out
    if ! out="$(ldd "$1" 2>&1)"; then
        [[ "$out" == *"not a dynamic executable"* ]] && return 0
        die "ldd $1: $out"
    fi
    [[ "$out" == *"statically linked"* ]] && return 0
    [[ "$out" != *"not found"* ]] || die "$1 needs libraries this host lacks: $out"
    awk '$2 == "=>" && $3 ~ /^\// { print $3; next } $1 ~ /^\// { print $1 }' <<<"$out"
}

# Copies BINARY to ROOT/DEST (stripped of debug sections with --strip-debug) and its libraries.
add_binary() {
    local root="$1" src="$2" dest="$3" lib libs
    mkdir -p "$root$(dirname "$dest")"
    if [[ "${4:-}" == --strip-debug ]]; then
        strip --strip-debug -o "$root$dest" "$src"
    else
        cp "$src" "$root$dest"
    fi
    chmod 0755 "$root$dest"
    libs="$(libraries "$src")"
    for lib in $libs; do
        mkdir -p "$root$(dirname "$lib")"
        cp -L "$lib" "$root$lib"
    done
}

# The files of distroless' base the binaries rely on: users, groups, CA bundle, /tmp.
add_base() {
    local root="$1"
    mkdir -p "$root/etc/ssl/certs" "$root/tmp"
    chmod 1777 "$root/tmp"
    printf '%s\n' root:x:0:0:root:/root:/sbin/nologin \
        nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin \
        nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin >"$root/etc/passwd"
    printf '%s\n' root:x:0: nobody:x:65534: nonroot:x:65532: >"$root/etc/group"
    if [[ -f /etc/ssl/certs/ca-certificates.crt ]]; then
        cp -L /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/"
    else
        say "no /etc/ssl/certs/ca-certificates.crt on this host (apt-get install ca-certificates):" \
            "the images have no CA bundle"
    fi
}

# The firedrill root, from the Dockerfile's runtime stage: its COPYs, with the build stage's
# `/out/` being the release binaries stripped as the build stage strips them.
firedrill_root() {
    local root="$1" from srcs dest bin bins copies
    bins="$(firedrill_bins)"
    copies="$(python3 "$here/dockerfile.py" "$dockerfile" runtime copies)"
    rm -rf "$root"
    add_base "$root"
    while read -r from srcs dest; do
        case "$from $srcs" in
        "build /out/")
            for bin in $bins; do
                add_binary "$root" "$target/release/$bin" "${dest%/}/$bin" --strip-debug
            done ;;
        "- scenarios/")
            mkdir -p "$root$dest"
            cp -R "$repo/scenarios/." "$root$dest" ;;
        *) die "the Dockerfile's runtime stage copies $srcs to $dest (from stage: $from)," \
            "which build.sh does not package; teach firedrill_root" ;;
        esac
    done <<<"$copies"
}

# Writes ROOT's image as OUT/NAME.tar and prints "REFERENCE ARCHIVE".
package() {
    local name="$1" ref="$2" root="$3" digest
    shift 3
    digest="$(python3 "$here/oci.py" --ref "$ref" --out "$out/$name.tar" --root "$root" "$@")"
    say "$ref: $(du -h "$out/$name.tar" | cut -f1) ($digest)"
    echo "$ref $out/$name.tar"
}

build_image() {
    local name="$1" ref="$2" root="$work/$1"
    case "$name" in
    firedrill)
        root="$target/image-root"
        firedrill_root "$root"
        python3 "$here/dockerfile.py" "$dockerfile" runtime config >"$work/firedrill.json"
        package "$name" "$ref" "$root" --config-json "$work/firedrill.json" ;;
    prometheus)
        add_base "$root"
        add_binary "$root" "$prometheus_bin" /bin/prometheus
        mkdir -p "$root/prometheus" "$root/etc/prometheus"
        package "$name" "$ref" "$root" --user 65534:65534 --workdir /prometheus \
            --entrypoint '["/bin/prometheus"]' \
            --cmd '["--config.file=/etc/prometheus/prometheus.yml","--storage.tsdb.path=/prometheus"]' ;;
    jaeger)
        add_base "$root"
        add_binary "$root" "$jaeger_bin" /cmd/jaeger/jaeger-linux
        package "$name" "$ref" "$root" --user 10001 --env JAEGER_LISTEN_HOST=0.0.0.0 \
            --entrypoint '["/cmd/jaeger/jaeger-linux"]' ;;
    victoria-logs)
        add_base "$root"
        add_binary "$root" "$victorialogs_bin" /victoria-logs-prod
        package "$name" "$ref" "$root" --user 65534:65534 --entrypoint '["/victoria-logs-prod"]' ;;
    pause)
        local pause
        pause="$("$here/pause.sh")"
        add_binary "$root" "$pause" /pause
        package "$name" "$ref" "$root" --user 65535:65535 --entrypoint '["/pause"]' ;;
    coredns)
        add_base "$root"
        add_binary "$root" "$coredns_bin" /coredns
        package "$name" "$ref" "$root" --user 65532:65532 --workdir / \
            --file-cap /coredns=net_bind_service --entrypoint '["/coredns"]' ;;
    esac
}

main() {
    if [[ "${1:-}" == --list ]]; then
        printf '%s\n' "${images[@]}"
        return
    fi
    [[ $# -ge 1 && "$1" != -* ]] || die "usage: tools/images/build.sh OUT_DIR [NAME...] | --list"
    mkdir -p "$1"
    out="$(cd "$1" && pwd)"
    shift
    local chosen=() entry name known
    known=" $(printf '%s\n' "${images[@]}" | cut -d' ' -f1 | tr '\n' ' ')"
    for name in "$@"; do
        [[ "$known" == *" $name "* ]] || die "unknown image $name; known:$known"
    done
    for entry in "${images[@]}"; do
        name="${entry%% *}"
        [[ $# -eq 0 || " $* " == *" $name "* ]] && chosen+=("$entry")
    done
    check_inputs "${chosen[@]%% *}"
    work="$(mktemp -d)"
    trap 'rm -rf "$work"' EXIT
    local start=$SECONDS
    for entry in "${chosen[@]}"; do
        say "building ${entry#* }"
        build_image "${entry%% *}" "${entry#* }"
    done
    say "${#chosen[@]} images in $((SECONDS - start))s"
}

main "$@"
