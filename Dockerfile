# Multi-stage build: cargo-leptos release build, then a small non-root runtime image.
# Untested on the development machine (no Docker engine there); kept in step with README.

FROM rust:1.95-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends nodejs npm && rm -rf /var/lib/apt/lists/*
RUN rustup target add wasm32-unknown-unknown \
 && CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
    cargo install cargo-leptos --locked --version 0.3.10 \
 && cargo install wasm-bindgen-cli --locked --version 0.2.130
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm install --no-audit --no-fund
ENV PATH="/app/node_modules/.bin:${PATH}"
COPY . .
RUN cargo leptos build --release && test -s target/site/pkg/larkspur.css

FROM debian:bookworm-slim AS runtime
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home /app larkspur
WORKDIR /app
COPY --from=build /app/target/release/larkspur /app/larkspur
COPY --from=build /app/target/site /app/target/site
COPY --from=build /app/Leptos.toml /app/Leptos.toml
RUN mkdir -p /app/media /app/outbox && chown -R larkspur /app/media /app/outbox
USER larkspur
ENV LISTEN_ADDR=0.0.0.0:3000 LEPTOS_SITE_ROOT=/app/target/site LOG_FORMAT=json MEDIA_DIR=/app/media OUTBOX_DIR=/app/outbox
EXPOSE 3000
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s CMD curl -fsS http://127.0.0.1:3000/healthz || exit 1
ENTRYPOINT ["/app/larkspur"]
CMD ["serve"]
