# Concordat's container image: build in one stage, run as a non-root user in a small second stage.
#   docker build -t concordat .
#   docker run -p 127.0.0.1:8080:8080 -v concordat-data:/var/lib/concordat concordat
# See docs/deploy.md. With no CONCORDAT_DATABASE_URL set, it serves a SQLite database in the volume
# (create it first: docker run --rm -v concordat-data:/var/lib/concordat concordat migrate --create).
# It needs the secret key mounted at /run/secrets/concordat.key (owned by uid 10001, mode 0600), and is
# configured by CONCORDAT_* environment variables or a file named by CONCORDAT_CONFIG.
# scripts/container-test.sh builds and checks it when a Docker daemon answers.

FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
# The SQLite library is compiled in (a C compiler is in this image); templates and static files too.
RUN cargo build --release --locked -p concordat \
    && install -m 0755 target/release/concordat /usr/local/bin/concordat

FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates tzdata \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 concordat \
    && useradd --system --uid 10001 --gid concordat --home-dir /var/lib/concordat --shell /usr/sbin/nologin concordat \
    && install -d -o concordat -g concordat -m 0700 /var/lib/concordat
COPY --from=build /usr/local/bin/concordat /usr/local/bin/concordat
USER 10001:10001
WORKDIR /var/lib/concordat
VOLUME ["/var/lib/concordat"]
ENV CONCORDAT_DATABASE_URL=sqlite:/var/lib/concordat/concordat.db \
    CONCORDAT_SECRET_KEY_FILE=/run/secrets/concordat.key \
    CONCORDAT_LISTEN=0.0.0.0:8080 \
    CONCORDAT_SECURE_COOKIES=true \
    CONCORDAT_LOG_FORMAT=json
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/concordat"]
# Listens on all interfaces inside the container (CONCORDAT_LISTEN above); publish the port on the
# host's loopback and put the TLS-terminating proxy in front (docs/deploy.md).
CMD ["serve"]
