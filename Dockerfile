# syntax=docker/dockerfile:1.7
# One image carrying every firedrill binary: the six services, loadgen, the operator and the
# firedrill CLI. One image instead of nine cuts build and `kind load` time to one transfer;
# each Deployment picks its binary with `command:` (charts/firedrill/templates).
#
#   docker build -t firedrill:0.1.0 .        (or: make images)
#
# Or package binaries already built on this machine, without the Rust and distroless images
# (tools/images/build.sh writes the image root, binaries, their libraries and scenarios, to
# target/image-root/ and an OCI archive of the same image that `ctr images import` takes):
#
#   tools/images/build.sh target/images
#   docker build --target prebuilt --build-context image-root=target/image-root -t firedrill:0.1.0 .
#
# The binaries are built exactly as the tests build them: `make release`, the Makefile's
# `cargo build --release --bins` (same profile, default features; a test checks the two stay
# in step). Only the debug sections are stripped afterwards (`strip --strip-debug`: the code is
# unchanged, each binary drops from ~50 MB to ~7 MB).

# --- build ------------------------------------------------------------------------------------
FROM rust:1.95.0-bookworm AS build
WORKDIR /src
COPY . .
# BuildKit cache mounts keep the crates.io downloads and every compiled dependency between
# builds (a finer cache than a dependency layer: a change to one crate rebuilds that crate
# only). The binaries are copied out because the target directory is not part of the layer.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    make release CARGO="cargo --locked" \
 && mkdir -p /out \
 && for bin in api inventory pricing warehouse checkout payments loadgen firedrill-operator firedrill; do \
        strip --strip-debug -o "/out/$bin" "target/release/$bin"; \
    done

# --- prebuilt ---------------------------------------------------------------------------------
# The root tools/images/build.sh assembled from the host's release binaries (stripped as above),
# the glibc/libgcc files `ldd` names, /etc/passwd and /etc/group, /tmp and scenarios/. It comes
# in as a named build context, not through the repository's context, which leaves target/ out.
# Its LABEL/ENV/USER/ENTRYPOINT/CMD are the runtime stage's (operator/tests/chart/images.rs
# keeps the two the same, and build.sh reads them from the runtime stage).
FROM scratch AS prebuilt
COPY --from=image-root / /
LABEL org.opencontainers.image.title="firedrill" \
      org.opencontainers.image.description="firedrill services, loadgen, operator and CLI" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.source="https://github.com/firedrill-dev/firedrill"
ENV FIREDRILL_SCENARIOS=/usr/share/firedrill/scenarios
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/firedrill"]
CMD ["--help"]

# --- runtime (the default: the last stage) ----------------------------------------------------
# distroless/cc: glibc and libgcc only (the binaries need nothing else: TLS is rustls), no
# shell, no package manager; `nonroot` runs as uid 65532.
FROM gcr.io/distroless/cc-debian12:nonroot AS runtime
LABEL org.opencontainers.image.title="firedrill" \
      org.opencontainers.image.description="firedrill services, loadgen, operator and CLI" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.source="https://github.com/firedrill-dev/firedrill"
COPY --from=build /out/ /usr/local/bin/
COPY scenarios/ /usr/share/firedrill/scenarios/
ENV FIREDRILL_SCENARIOS=/usr/share/firedrill/scenarios
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/firedrill"]
CMD ["--help"]
