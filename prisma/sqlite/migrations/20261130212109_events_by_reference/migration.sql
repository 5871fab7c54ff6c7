-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_events" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "dedupe_key" TEXT NOT NULL,
    "type" TEXT NOT NULL,
    "action" TEXT,
    "for_user_id" TEXT,
    "format" TEXT NOT NULL,
    "occurred_at" DATETIME,
    "received_at" DATETIME NOT NULL,
    "delivery_id" TEXT NOT NULL,
    "payload" TEXT,
    "side_objects" TEXT,
    "activity_index" INTEGER,
    "duplicate_count" INTEGER NOT NULL DEFAULT 0,
    "state" TEXT NOT NULL DEFAULT 'pending',
    "available_at" DATETIME NOT NULL,
    "lease_owner" TEXT,
    "lease_until" DATETIME,
    "completed_at" DATETIME,
    CONSTRAINT "events_delivery_id_fkey" FOREIGN KEY ("delivery_id") REFERENCES "deliveries" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);
INSERT INTO "new_events" ("action", "available_at", "completed_at", "dedupe_key", "delivery_id", "duplicate_count", "for_user_id", "format", "id", "lease_owner", "lease_until", "occurred_at", "payload", "received_at", "side_objects", "state", "type") SELECT "action", "available_at", "completed_at", "dedupe_key", "delivery_id", "duplicate_count", "for_user_id", "format", "id", "lease_owner", "lease_until", "occurred_at", "payload", "received_at", "side_objects", "state", "type" FROM "events";
DROP TABLE "events";
ALTER TABLE "new_events" RENAME TO "events";
CREATE UNIQUE INDEX "events_dedupe_key_key" ON "events"("dedupe_key");
CREATE INDEX "events_state_available_at_idx" ON "events"("state", "available_at");
CREATE INDEX "events_for_user_id_received_at_idx" ON "events"("for_user_id", "received_at");
CREATE INDEX "events_received_at_idx" ON "events"("received_at");
CREATE TABLE "new_handler_runs" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "event_id" TEXT NOT NULL,
    "handler" TEXT NOT NULL,
    "state" TEXT NOT NULL DEFAULT 'pending',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "next_attempt_at" DATETIME NOT NULL,
    "last_error" TEXT,
    "completed_at" DATETIME,
    CONSTRAINT "handler_runs_event_id_fkey" FOREIGN KEY ("event_id") REFERENCES "events" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);
INSERT INTO "new_handler_runs" ("attempts", "completed_at", "event_id", "handler", "id", "last_error", "next_attempt_at", "state") SELECT "attempts", "completed_at", "event_id", "handler", "id", "last_error", "next_attempt_at", "state" FROM "handler_runs";
DROP TABLE "handler_runs";
ALTER TABLE "new_handler_runs" RENAME TO "handler_runs";
CREATE UNIQUE INDEX "handler_runs_event_id_handler_key" ON "handler_runs"("event_id", "handler");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;
