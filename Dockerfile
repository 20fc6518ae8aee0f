# syntax=docker/dockerfile:1
# ghcr.io/tracebloc/ingestor — the ingestor runtime image.
# Built for linux/amd64 and linux/arm64 by .github/workflows/release.yml, signed with cosign
# (keyless), shipped with SBOM and SLSA provenance; charts pin it by digest. Never tagged `latest`.

# Node 24 LTS (24.18.0), Debian bookworm slim: /bin/sh, env and timeout present. Pinned by the
# multi-arch index digest; Dependabot (docker ecosystem) proposes updates: keep the version in this
# comment that of the digest (scripts/image-node.mjs runs tests and benchmarks on that version).
ARG NODE_IMAGE=node:24-bookworm-slim@sha256:6f7b03f7c2c8e2e784dcf9295400527b9b1270fd37b7e9a7285cf83b6951452d

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
RUN npm ci --no-audit --no-fund
COPY src ./src
COPY schemas ./schemas
# npm run build regenerates the schema validator (src/config/generated/) before compiling, and
# bundles the compiled CLI into dist/cli.mjs (one file: faster start-up) after.
COPY scripts/build-validator.mjs scripts/bundle-cli.mjs ./scripts/
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

FROM ${NODE_IMAGE}
ENV NODE_ENV=production \
    STORAGE_ROOT=/data/shared
WORKDIR /app
COPY --from=build --chown=0:0 /app/package.json ./package.json
COPY --from=build --chown=0:0 /app/node_modules ./node_modules
COPY --from=build --chown=0:0 /app/dist ./dist
COPY --from=build --chown=0:0 /app/schemas ./schemas
# Numeric, unprivileged, no home: the files above are root-owned and read-only to it. The runtime
# writes only to /data/shared (the PVC) and, through libraries, /tmp.
USER 65534:65534
# Node is PID 1: the entrypoint installs its own SIGTERM/SIGINT handlers (stop after the batch in
# flight, release the table lock, print the banner, exit 130; a second signal exits at once).
# Memory (BENCHMARKS.md; npm run bench runs the CLI with these flags):
# - a young generation of 8 MB semi-spaces instead of 16: 20-35 MB less peak RSS at the same speed;
# - the old generation collected once it grows by half (V8 otherwise lets it grow up to 4x what
#   survived the last full collection, and the ingest's survivors are mostly garbage soon after):
#   10-45 MB less peak RSS (median ~30), 7-10 % more CPU in the CLI on average, no consistent slowdown;
# - WebAssembly kept at its baseline tier (Liftoff): undici's HTTP parser (llhttp) is WebAssembly, and
#   late in a 1M-row run (172 requests) V8 recompiled it with its optimizing compiler on a helper
#   thread, whose malloc arena then kept ~14 MB: 9-11 MB less peak RSS at 1M rows.
# CPU: young-generation collections on the main thread only, without helper threads: during a staged
# tabular run MariaDB loads on the other core, and the helpers took CPU from it (200k rows, eight
# interleaved pairs: 64.3 % of the LOAD DATA limit on average against 61.8 %, MariaDB's CPU lower).
# dist/cli.mjs is the CLI bundled into one module (scripts/bundle-cli.mjs): ~0.1 s less start-up
# than loading dist/cli/main.js's tree.
ENTRYPOINT ["node", "--max-semi-space-size=8", "--heap-growing-percent=50", "--no-wasm-tier-up", "--no-parallel-scavenge", "/app/dist/cli.mjs"]
