# The PegNet image: pegnet-coordinator, pegnet-miner and pegnet-devnet, run by docker-compose.yml.
#
# It takes the binaries `cargo build --release --locked` made on the host (target/release/),
# because the toolchain this project pins (Rust 1.95, rust-toolchain.toml) has no image here and
# cannot be fetched inside a build container. Build them first, on a host of the same Debian
# release (glibc 2.36):
#
#   cargo build --release --locked --bin pegnet-coordinator --bin pegnet-miner --bin pegnet-devnet
#   docker-compose build
FROM debian:bookworm-slim

# ca-certificates: the price APIs and a remote factomd over HTTPS; wget: health checks.
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ca-certificates wget \
    && rm -rf /var/lib/apt/lists/*

# One unprivileged user. The directories below are the mount points of the compose volumes;
# Docker seeds a new named volume with the owner of its mount point, so they are pegnet's.
RUN useradd --system --uid 10001 --user-group --create-home --home-dir /home/pegnet pegnet \
    && mkdir -p /var/lib/pegnet /run/pegnet /secrets/coordinator /secrets/miner /secrets/nats \
        /home/pegnet/.lxrhash \
    && chown pegnet:pegnet /var/lib/pegnet /run/pegnet /secrets /secrets/coordinator \
        /secrets/miner /secrets/nats /home/pegnet/.lxrhash

COPY target/release/pegnet-coordinator target/release/pegnet-miner target/release/pegnet-devnet \
    /usr/local/bin/
COPY docker/entrypoint.sh /usr/local/bin/pegnet-entrypoint

USER pegnet
WORKDIR /home/pegnet
ENTRYPOINT ["pegnet-entrypoint"]
CMD ["pegnet-coordinator", "--help"]
