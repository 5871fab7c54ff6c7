-- CreateTable
CREATE TABLE "deliveries" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "received_at" DATETIME NOT NULL,
    "format" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "body" BLOB NOT NULL,
    "body_sha256" TEXT NOT NULL,
    "content_type" TEXT,
    "signature" TEXT,
    "user_agent" TEXT,
    "remote_addr" TEXT,
    "event_count" INTEGER NOT NULL DEFAULT 0,
    "duplicate_count" INTEGER NOT NULL DEFAULT 0
);

-- CreateTable
CREATE TABLE "events" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "dedupe_key" TEXT NOT NULL,
    "type" TEXT NOT NULL,
    "action" TEXT,
    "for_user_id" TEXT,
    "format" TEXT NOT NULL,
    "occurred_at" DATETIME,
    "received_at" DATETIME NOT NULL,
    "delivery_id" TEXT NOT NULL,
    "payload" TEXT NOT NULL,
    "side_objects" TEXT,
    "duplicate_count" INTEGER NOT NULL DEFAULT 0,
    "state" TEXT NOT NULL DEFAULT 'pending',
    "available_at" DATETIME NOT NULL,
    "lease_owner" TEXT,
    "lease_until" DATETIME,
    "completed_at" DATETIME,
    CONSTRAINT "events_delivery_id_fkey" FOREIGN KEY ("delivery_id") REFERENCES "deliveries" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "handler_runs" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "event_id" TEXT NOT NULL,
    "handler" TEXT NOT NULL,
    "state" TEXT NOT NULL DEFAULT 'pending',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "next_attempt_at" DATETIME NOT NULL,
    "lease_owner" TEXT,
    "lease_until" DATETIME,
    "last_error" TEXT,
    "completed_at" DATETIME,
    CONSTRAINT "handler_runs_event_id_fkey" FOREIGN KEY ("event_id") REFERENCES "events" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "handler_attempts" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "run_id" TEXT NOT NULL,
    "attempt" INTEGER NOT NULL,
    "worker" TEXT NOT NULL,
    "started_at" DATETIME NOT NULL,
    "finished_at" DATETIME,
    "outcome" TEXT,
    "error" TEXT,
    CONSTRAINT "handler_attempts_run_id_fkey" FOREIGN KEY ("run_id") REFERENCES "handler_runs" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "dead_letters" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "event_id" TEXT NOT NULL,
    "handler" TEXT NOT NULL,
    "attempts" INTEGER NOT NULL,
    "error" TEXT NOT NULL,
    "dead_at" DATETIME NOT NULL,
    "redriven_at" DATETIME,
    CONSTRAINT "dead_letters_event_id_fkey" FOREIGN KEY ("event_id") REFERENCES "events" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "crc_checks" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "answered_at" DATETIME NOT NULL,
    "latency_ms" REAL NOT NULL,
    "outcome" TEXT NOT NULL
);

-- CreateTable
CREATE TABLE "webhooks" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "url" TEXT NOT NULL,
    "valid" BOOLEAN NOT NULL,
    "created_at" DATETIME,
    "synced_at" DATETIME NOT NULL,
    "last_error" TEXT
);

-- CreateTable
CREATE TABLE "subscriptions" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "kind" TEXT NOT NULL,
    "webhook_id" TEXT NOT NULL,
    "user_id" TEXT,
    "x_id" TEXT,
    "event_type" TEXT,
    "filter" TEXT,
    "tag" TEXT,
    "status" TEXT NOT NULL,
    "created_at" DATETIME NOT NULL,
    "updated_at" DATETIME NOT NULL
);

-- CreateTable
CREATE TABLE "replay_jobs" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "kind" TEXT NOT NULL,
    "x_job_id" TEXT,
    "webhook_id" TEXT NOT NULL,
    "from_date" DATETIME NOT NULL,
    "to_date" DATETIME NOT NULL,
    "status" TEXT NOT NULL,
    "requested_at" DATETIME NOT NULL,
    "completed_at" DATETIME,
    "detail" TEXT
);

-- CreateIndex
CREATE INDEX "deliveries_received_at_idx" ON "deliveries"("received_at");

-- CreateIndex
CREATE UNIQUE INDEX "events_dedupe_key_key" ON "events"("dedupe_key");

-- CreateIndex
CREATE INDEX "events_state_available_at_idx" ON "events"("state", "available_at");

-- CreateIndex
CREATE INDEX "events_for_user_id_received_at_idx" ON "events"("for_user_id", "received_at");

-- CreateIndex
CREATE INDEX "events_received_at_idx" ON "events"("received_at");

-- CreateIndex
CREATE INDEX "handler_runs_state_next_attempt_at_idx" ON "handler_runs"("state", "next_attempt_at");

-- CreateIndex
CREATE UNIQUE INDEX "handler_runs_event_id_handler_key" ON "handler_runs"("event_id", "handler");

-- CreateIndex
CREATE INDEX "handler_attempts_run_id_idx" ON "handler_attempts"("run_id");

-- CreateIndex
CREATE INDEX "dead_letters_dead_at_idx" ON "dead_letters"("dead_at");

-- CreateIndex
CREATE INDEX "dead_letters_event_id_handler_idx" ON "dead_letters"("event_id", "handler");

-- CreateIndex
CREATE INDEX "crc_checks_answered_at_idx" ON "crc_checks"("answered_at");

-- CreateIndex
CREATE UNIQUE INDEX "subscriptions_x_id_key" ON "subscriptions"("x_id");

-- CreateIndex
CREATE INDEX "subscriptions_webhook_id_user_id_idx" ON "subscriptions"("webhook_id", "user_id");

-- CreateIndex
CREATE INDEX "replay_jobs_x_job_id_idx" ON "replay_jobs"("x_job_id");
