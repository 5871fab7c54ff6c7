# syntax=docker/dockerfile:1
# Multi-stage image of the receiver. The build stage runs the same npm scripts as CI
# (npm ci -> prepare -> build: prisma generate offline + tsc); the runtime stage keeps
# production dependencies only and runs as a non-root user.

FROM node:20-bookworm-slim AS build
WORKDIR /app
# better-sqlite3 compiles from source when its prebuilt binary cannot be downloaded.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
COPY scripts ./scripts
COPY prisma ./prisma
COPY prisma.config.ts tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY examples ./examples
RUN npm ci && npm prune --omit=dev

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production \
    PORT=3000 \
    HOST=0.0.0.0 \
    DATABASE_URL=file:/data/xaa.db
WORKDIR /app
COPY --from=build --chown=node:node /app/package.json /app/package-lock.json /app/prisma.config.ts ./
COPY --from=build --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist ./dist
COPY --from=build --chown=node:node /app/prisma ./prisma
COPY --from=build --chown=node:node /app/scripts ./scripts
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 3000
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# Default `serve`: `npm run db:migrate` (deploy semantics), then the server as PID 1's exec'd
# process so that SIGTERM reaches it (npm start does the same two steps).
# Worker processes (scale handlers out on PostgreSQL): run the same image with the `worker`
# command, e.g. `docker run ... x-activity-receiver worker` (see docker-entrypoint below).
ENTRYPOINT ["/app/scripts/docker-entrypoint.sh"]
CMD ["serve"]
