-- CreateTable
CREATE TABLE "dedupe_keys" (
    "key" TEXT NOT NULL,
    "pruned_at" TIMESTAMP(3) NOT NULL,
    "expires_at" TIMESTAMP(3),

    CONSTRAINT "dedupe_keys_pkey" PRIMARY KEY ("key")
);

-- CreateIndex
CREATE INDEX "dedupe_keys_expires_at_idx" ON "dedupe_keys"("expires_at");
