#!/bin/sh
# Container entrypoint. `serve` (default): apply pending migrations (scripts/prisma/migrate.mjs
# deploy, what `npm run db:migrate` runs), then exec the server so that it receives SIGTERM
# directly (the same two steps as `npm start`). `worker`: a dispatcher without an HTTP server.
# Anything else goes to the xaa command line (e.g. `doctor`, `webhooks list`).
set -e
case "${1:-serve}" in
  serve) node scripts/prisma/migrate.mjs deploy && exec node dist/src/main.js serve ;;
  worker) shift; exec node dist/src/main.js worker "$@" ;;
  *) exec node dist/src/main.js "$@" ;;
esac
