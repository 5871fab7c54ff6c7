-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_deliveries" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "received_at" DATETIME NOT NULL,
    "format" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "body" BLOB NOT NULL,
    "body_encoding" TEXT,
    "body_sha256" TEXT NOT NULL,
    "content_type" TEXT,
    "user_agent" TEXT,
    "remote_addr" TEXT,
    "event_count" INTEGER NOT NULL DEFAULT 0,
    "duplicate_count" INTEGER NOT NULL DEFAULT 0
);
INSERT INTO "new_deliveries" ("body", "body_encoding", "body_sha256", "content_type", "duplicate_count", "event_count", "format", "id", "received_at", "remote_addr", "status", "user_agent") SELECT "body", "body_encoding", "body_sha256", "content_type", "duplicate_count", "event_count", "format", "id", "received_at", "remote_addr", "status", "user_agent" FROM "deliveries";
DROP TABLE "deliveries";
ALTER TABLE "new_deliveries" RENAME TO "deliveries";
CREATE INDEX "deliveries_received_at_idx" ON "deliveries"("received_at");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;
