# The image the in-cluster Job runs (`ks-devops-migrate job --image …`).
#
#   docker build -t registry.example.com/ks-devops-migrate:0.1.0 .
#   docker push registry.example.com/ks-devops-migrate:0.1.0
#
# Stage 1 builds the release binary; stage 2 is a small Debian runtime with CA certificates
# (for HTTPS to Jenkins, S3/MinIO and the API server) and nothing else.

FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked -p ks-devops-migrate

FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && mkdir -p /work /backups \
    && chown 65532:65532 /work /backups
COPY --from=build /src/target/release/ks-devops-migrate /usr/local/bin/ks-devops-migrate
# The output folder and the journal file are written relative to the working directory.
WORKDIR /work
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/ks-devops-migrate"]
