-- CreateTable
CREATE TABLE "deliveries" (
    "id" TEXT NOT NULL,
    "received_at" TIMESTAMP(3) NOT NULL,
    "format" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "body" BYTEA NOT NULL,
    "body_sha256" TEXT NOT NULL,
    "content_type" TEXT,
    "signature" TEXT,
    "user_agent" TEXT,
    "remote_addr" TEXT,
    "event_count" INTEGER NOT NULL DEFAULT 0,
    "duplicate_count" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "deliveries_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "events" (
    "id" TEXT NOT NULL,
    "dedupe_key" TEXT NOT NULL,
    "type" TEXT NOT NULL,
    "action" TEXT,
    "for_user_id" TEXT,
    "format" TEXT NOT NULL,
    "occurred_at" TIMESTAMP(3),
    "received_at" TIMESTAMP(3) NOT NULL,
    "delivery_id" TEXT NOT NULL,
    "payload" TEXT NOT NULL,
    "side_objects" TEXT,
    "duplicate_count" INTEGER NOT NULL DEFAULT 0,
    "state" TEXT NOT NULL DEFAULT 'pending',
    "available_at" TIMESTAMP(3) NOT NULL,
    "lease_owner" TEXT,
    "lease_until" TIMESTAMP(3),
    "completed_at" TIMESTAMP(3),

    CONSTRAINT "events_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "handler_runs" (
    "id" TEXT NOT NULL,
    "event_id" TEXT NOT NULL,
    "handler" TEXT NOT NULL,
    "state" TEXT NOT NULL DEFAULT 'pending',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "next_attempt_at" TIMESTAMP(3) NOT NULL,
    "lease_owner" TEXT,
    "lease_until" TIMESTAMP(3),
    "last_error" TEXT,
    "completed_at" TIMESTAMP(3),

    CONSTRAINT "handler_runs_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "handler_attempts" (
    "id" TEXT NOT NULL,
    "run_id" TEXT NOT NULL,
    "attempt" INTEGER NOT NULL,
    "worker" TEXT NOT NULL,
    "started_at" TIMESTAMP(3) NOT NULL,
    "finished_at" TIMESTAMP(3),
    "outcome" TEXT,
    "error" TEXT,

    CONSTRAINT "handler_attempts_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "dead_letters" (
    "id" TEXT NOT NULL,
    "event_id" TEXT NOT NULL,
    "handler" TEXT NOT NULL,
    "attempts" INTEGER NOT NULL,
    "error" TEXT NOT NULL,
    "dead_at" TIMESTAMP(3) NOT NULL,
    "redriven_at" TIMESTAMP(3),

    CONSTRAINT "dead_letters_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "crc_checks" (
    "id" TEXT NOT NULL,
    "answered_at" TIMESTAMP(3) NOT NULL,
    "latency_ms" DOUBLE PRECISION NOT NULL,
    "outcome" TEXT NOT NULL,

    CONSTRAINT "crc_checks_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "webhooks" (
    "id" TEXT NOT NULL,
    "url" TEXT NOT NULL,
    "valid" BOOLEAN NOT NULL,
    "created_at" TIMESTAMP(3),
    "synced_at" TIMESTAMP(3) NOT NULL,
    "last_error" TEXT,

    CONSTRAINT "webhooks_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "subscriptions" (
    "id" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "webhook_id" TEXT NOT NULL,
    "user_id" TEXT,
    "x_id" TEXT,
    "event_type" TEXT,
    "filter" TEXT,
    "tag" TEXT,
    "status" TEXT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL,
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "subscriptions_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "replay_jobs" (
    "id" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "x_job_id" TEXT,
    "webhook_id" TEXT NOT NULL,
    "from_date" TIMESTAMP(3) NOT NULL,
    "to_date" TIMESTAMP(3) NOT NULL,
    "status" TEXT NOT NULL,
    "requested_at" TIMESTAMP(3) NOT NULL,
    "completed_at" TIMESTAMP(3),
    "detail" TEXT,

    CONSTRAINT "replay_jobs_pkey" PRIMARY KEY ("id")
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

-- AddForeignKey
ALTER TABLE "events" ADD CONSTRAINT "events_delivery_id_fkey" FOREIGN KEY ("delivery_id") REFERENCES "deliveries"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "handler_runs" ADD CONSTRAINT "handler_runs_event_id_fkey" FOREIGN KEY ("event_id") REFERENCES "events"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "handler_attempts" ADD CONSTRAINT "handler_attempts_run_id_fkey" FOREIGN KEY ("run_id") REFERENCES "handler_runs"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "dead_letters" ADD CONSTRAINT "dead_letters_event_id_fkey" FOREIGN KEY ("event_id") REFERENCES "events"("id") ON DELETE CASCADE ON UPDATE CASCADE;
