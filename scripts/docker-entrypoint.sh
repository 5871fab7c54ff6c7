#!/bin/sh
# Container entrypoint. `serve` (default): apply pending migrations (scripts/prisma/migrate.mjs
# deploy, what `npm run db:migrate` runs), then exec the server so that it receives SIGTERM
# directly (the same two steps as `npm start`). `worker`: a dispatcher without an HTTP server.
# Anything else goes to the xaa command line (e.g. `doctor`, `webhooks list`).
# The server, the worker and the stream consumer run with single-threaded garbage collection,
# as `npm start` does (V8's parallel GC helper threads cost more CPU than they save on small
# machines: see the README's performance section).
set -e
case "${1:-serve}" in
  serve) node scripts/prisma/migrate.mjs deploy && exec node --single-threaded-gc dist/src/main.js serve ;;
  worker) shift; exec node --single-threaded-gc dist/src/main.js worker "$@" ;;
  stream) shift; exec node --single-threaded-gc dist/src/main.js stream "$@" ;;
  *) exec node dist/src/main.js "$@" ;;
esac
