-- CreateTable
CREATE TABLE "stream_state" (
    "name" TEXT NOT NULL PRIMARY KEY,
    "last_seen_at" DATETIME NOT NULL,
    "updated_at" DATETIME NOT NULL
);

-- CreateTable
CREATE TABLE "stream_gaps" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "stream" TEXT NOT NULL,
    "from_at" DATETIME NOT NULL,
    "to_at" DATETIME NOT NULL,
    "seconds" REAL NOT NULL,
    "detected_at" DATETIME NOT NULL
);

-- AlterTable: a column with a constant default is added in place (no rebuild of a large deliveries table)
ALTER TABLE "deliveries" ADD COLUMN "source" TEXT NOT NULL DEFAULT 'webhook';

-- CreateIndex
CREATE INDEX "stream_gaps_detected_at_idx" ON "stream_gaps"("detected_at");
