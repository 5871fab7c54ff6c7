#!/bin/sh
# Container entrypoint. `serve` (default): apply pending migrations (npm run db:migrate, deploy
# semantics), then exec the server so that it receives SIGTERM directly (the same two steps as
# `npm start`). `worker`: a dispatcher without an HTTP server. Anything else goes to the xaa
# command line (e.g. `doctor`, `webhooks list`).
set -e
case "${1:-serve}" in
  serve) npm run --silent db:migrate && exec node dist/src/main.js serve ;;
  worker) shift; exec node dist/src/main.js worker "$@" ;;
  *) exec node dist/src/main.js "$@" ;;
esac
