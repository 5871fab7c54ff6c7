-- AlterTable
ALTER TABLE "deliveries" ADD COLUMN     "source" TEXT NOT NULL DEFAULT 'webhook';

-- CreateTable
CREATE TABLE "stream_state" (
    "name" TEXT NOT NULL,
    "last_seen_at" TIMESTAMP(3) NOT NULL,
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "stream_state_pkey" PRIMARY KEY ("name")
);

-- CreateTable
CREATE TABLE "stream_gaps" (
    "id" TEXT NOT NULL,
    "stream" TEXT NOT NULL,
    "from_at" TIMESTAMP(3) NOT NULL,
    "to_at" TIMESTAMP(3) NOT NULL,
    "seconds" DOUBLE PRECISION NOT NULL,
    "detected_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "stream_gaps_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "stream_gaps_detected_at_idx" ON "stream_gaps"("detected_at");
