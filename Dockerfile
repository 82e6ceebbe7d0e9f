# syntax=docker/dockerfile:1
# The org-invites server image: `docker build -t org-invites:0.1.0 .`
# (BuildKit). The build stage compiles the release binary; the runtime stage
# is distroless (glibc, CA certificates, no shell, nonroot) with only that
# binary. Secrets (DATABASE_URL, the identities file, TLS keys, AWS
# credentials) come from the environment and mounted files at run time.

FROM rust:1.95-bookworm AS build
WORKDIR /src
# .cargo/config.toml sets `--cfg tokio_unstable` (the runtime's scheduler
# setting in src/main.rs): it must apply here as on a developer's machine, so
# RUSTFLAGS stays unset. protoc comes from protoc-bin-vendored (build.rs).
COPY .cargo ./.cargo
COPY Cargo.toml Cargo.lock build.rs ./
COPY proto ./proto
COPY migrations ./migrations
COPY src ./src
COPY benches ./benches
# The registry and target directory are BuildKit cache mounts, so a rebuild
# after a source change recompiles only this crate, not its dependencies.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/usr/local/cargo/git \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked --bin org-invites \
    && install -D -m 0755 target/release/org-invites /out/org-invites

FROM gcr.io/distroless/cc-debian12:nonroot
# Cargo.toml's version (tests/api/helm.rs checks); CI passes the
# repository's URL: --build-arg SOURCE=https://...
ARG VERSION=0.1.0
ARG SOURCE=https://example.invalid/org-invites
LABEL org.opencontainers.image.title="org-invites" \
      org.opencontainers.image.description="gRPC service that invites AWS accounts into an AWS Organization and follows each invitation" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.licenses="Apache-2.0"
COPY --from=build /out/org-invites /usr/local/bin/org-invites
# distroless' nonroot user (65532); the Helm chart runs it with a read-only
# root filesystem.
USER 65532:65532
# gRPC, the status page and /metrics (no credentials: publish it only
# inside), and grpc.health.v1 alone over plaintext for probes. The server's
# own default, 127.0.0.1, cannot be reached from outside a container.
EXPOSE 50051 9464 8081
ENV ORG_INVITES_LISTEN=0.0.0.0:50051 \
    ORG_INVITES_METRICS_LISTEN=0.0.0.0:9464 \
    ORG_INVITES_HEALTH_LISTEN=0.0.0.0:8081 \
    ORG_INVITES_LOG_FORMAT=json
ENTRYPOINT ["/usr/local/bin/org-invites"]
CMD ["serve"]
