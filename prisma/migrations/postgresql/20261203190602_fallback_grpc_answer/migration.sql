-- AlterTable
ALTER TABLE "fallback_version" ADD COLUMN     "grpc" TEXT;

