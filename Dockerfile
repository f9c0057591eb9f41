# vinstream container image.
#
#   docker build -t vinstream .
#   docker run -d --name vinstream --stop-timeout 30 \
#     -v "$PWD/etc-vinstream:/etc/vinstream:ro" -v vinstream-state:/var/lib/vinstream \
#     -p 9464:9464 vinstream
#
# The build uses only files committed to the repository (.dockerignore lists them).
# The config goes in /etc/vinstream/vinstream.toml; keep state_dir at its default,
# /var/lib/vinstream (a volume, owned by the image's `vinstream` user, uid 10001), and set
# admin_listen = "0.0.0.0:9464" so the health check and a published port can reach /healthz.
# See dist/systemd/README.md.

# ---- build ----------------------------------------------------------------------------
FROM rust:1.95-slim-bookworm AS build
WORKDIR /build
# The release profile keeps line tables (debug = 1) for profiling; the image does without.
ENV CARGO_PROFILE_RELEASE_STRIP=debuginfo
COPY Cargo.toml Cargo.lock ./
COPY src ./src
# rumqttc, patched (vendor/rumqttc/VINSTREAM.md); Cargo.toml's [patch.crates-io] names it.
COPY vendor ./vendor
COPY benches ./benches
RUN cargo build --release --locked \
 && install -D -m 0755 target/release/vinstream /out/vinstream

# ---- runtime --------------------------------------------------------------------------
# Same Debian release as the builder, so the binary's glibc matches. The binary needs only
# glibc and libgcc_s (TLS is rustls); ca-certificates supplies the system roots that BMW
# CarData's broker and token endpoint are verified against when no ca_file is set.
FROM debian:bookworm-slim
# ca-certificates unpinned: take the release's current (security-updated) roots.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --user-group --no-create-home \
      --home-dir /var/lib/vinstream --shell /usr/sbin/nologin vinstream \
 && install -d -m 0755 /etc/vinstream \
 && install -d -m 0700 -o vinstream -g vinstream /var/lib/vinstream
COPY --from=build /out/vinstream /usr/bin/vinstream
COPY LICENSE /usr/share/doc/vinstream/LICENSE

# Numeric, so Kubernetes' runAsNonRoot can verify it: this is the `vinstream` user.
USER 10001:10001
# Relative paths in the config resolve against the working directory.
WORKDIR /var/lib/vinstream
VOLUME ["/etc/vinstream", "/var/lib/vinstream"]
# admin_listen: /healthz /readyz /metrics
EXPOSE 9464

# A real HTTP GET of /healthz with bash alone (debian-slim has no curl or wget, and the
# binary has no probe subcommand): exit 0 only on a "200" status line, else 1 (refused,
# no answer within 4 s, any other status). The port is 9464 unless VINSTREAM_ADMIN_PORT is set.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/${VINSTREAM_ADMIN_PORT:-9464} && printf 'GET /healthz HTTP/1.1\\r\\nHost: localhost\\r\\nConnection: close\\r\\n\\r\\n' >&3 && IFS= read -r -t 4 status <&3 && [[ $status == HTTP/1.[01]' 200'* ]] || exit 1"]

# SIGTERM (docker stop) drains in-flight messages within shutdown_timeout (10s by default):
# run with --stop-timeout 30 (compose: stop_grace_period: 30s) so Docker does not SIGKILL first.
STOPSIGNAL SIGTERM
ENTRYPOINT ["vinstream"]
CMD ["run", "-c", "/etc/vinstream/vinstream.toml"]
