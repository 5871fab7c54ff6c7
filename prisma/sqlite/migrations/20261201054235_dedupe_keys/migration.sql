-- CreateTable
CREATE TABLE "dedupe_keys" (
    "key" TEXT NOT NULL PRIMARY KEY,
    "pruned_at" DATETIME NOT NULL,
    "expires_at" DATETIME
);

-- CreateIndex
CREATE INDEX "dedupe_keys_expires_at_idx" ON "dedupe_keys"("expires_at");
