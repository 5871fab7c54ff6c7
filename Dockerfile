# syntax=docker/dockerfile:1
# Multi-stage image of the receiver. The build stage runs the same npm scripts as CI
# (npm ci -> prepare -> build: prisma generate offline + tsc); the runtime stage keeps the
# production dependencies only (no Prisma CLI, no pino-pretty: migrations run through the schema
# engine directly) and runs as a non-root user that can write /data and nothing else.
#
# Base image: Node 24 (the current LTS), pinned by digest so that a rebuild gets the same base.
# This digest is the one public builds recorded for node:24-bookworm-slim at Node 24.18.0
# (July 2026). It could NOT be checked from the machine this file was written on (no access to
# Docker Hub): before relying on it, and to move to a newer patch release, run
#   docker buildx imagetools inspect node:24-bookworm-slim
# and put the digest it prints here (one place: both stages use NODE_IMAGE).
ARG NODE_IMAGE=node:24-bookworm-slim@sha256:6f7b03f7c2c8e2e784dcf9295400527b9b1270fd37b7e9a7285cf83b6951452d

FROM ${NODE_IMAGE} AS build
WORKDIR /app
# better-sqlite3 compiles from source when its prebuilt binary cannot be downloaded.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
COPY scripts ./scripts
COPY prisma ./prisma
COPY prisma.config.ts tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY examples ./examples
# --omit=optional as well: the Prisma CLI is an optional peer of @prisma/client, which npm keeps
# under --omit=dev alone (about 130 packages); the one optional production package,
# pg-cloudflare, is for Cloudflare Workers only.
RUN npm ci && npm prune --omit=dev --omit=optional

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    PORT=3000 \
    HOST=0.0.0.0 \
    DATABASE_URL=file:/data/xaa.db
WORKDIR /app
# The code belongs to root (read-only for the server: a compromised process cannot rewrite it);
# the runtime user `node` owns /data, the only place it writes.
COPY --from=build /app/package.json /app/package-lock.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/prisma ./prisma
COPY --from=build /app/scripts ./scripts
RUN mkdir -p /data && chown node:node /data && chmod 700 /data
USER node
VOLUME ["/data"]
EXPOSE 3000
# GET /healthz over HTTP, or HTTPS when TLS_CERT_FILE is set (scripts/docker-healthcheck.mjs).
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 CMD ["node", "scripts/docker-healthcheck.mjs"]
# Default `serve`: apply pending migrations (deploy semantics), then the server as PID 1's exec'd
# process so that SIGTERM reaches it (npm start does the same two steps).
# Worker processes (scale handlers out on PostgreSQL): run the same image with the `worker`
# command, e.g. `docker run ... x-activity-receiver worker` (see docker-entrypoint below).
# Your own handlers: a derived image, see examples/docker/Dockerfile.
ENTRYPOINT ["/app/scripts/docker-entrypoint.sh"]
CMD ["serve"]
