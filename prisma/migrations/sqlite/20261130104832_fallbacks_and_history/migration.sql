-- CreateTable
CREATE TABLE "fallback_version" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "route" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "status" INTEGER NOT NULL,
    "content_type" TEXT NOT NULL,
    "headers" TEXT NOT NULL,
    "body" TEXT NOT NULL,
    "message" TEXT NOT NULL,
    "author" TEXT NOT NULL,
    "created_at" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "copied_from" INTEGER
);

-- CreateTable
CREATE TABLE "fallback_schema" (
    "route" TEXT NOT NULL PRIMARY KEY,
    "schema" TEXT NOT NULL,
    "updated_by" TEXT NOT NULL,
    "version" INTEGER NOT NULL DEFAULT 1,
    "created_at" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" DATETIME NOT NULL
);

-- CreateTable
CREATE TABLE "route_sample" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "at" DATETIME NOT NULL,
    "route" TEXT NOT NULL,
    "rps" REAL NOT NULL,
    "error_ratio" REAL,
    "degraded_rate" REAL NOT NULL,
    "p99_ms" REAL
);

-- CreateTable
CREATE TABLE "cluster_sample" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "at" DATETIME NOT NULL,
    "cluster" TEXT NOT NULL,
    "ejected" INTEGER NOT NULL,
    "hosts" INTEGER NOT NULL
);

-- CreateIndex
CREATE UNIQUE INDEX "fallback_version_route_version_key" ON "fallback_version"("route", "version");

-- CreateIndex
CREATE INDEX "route_sample_route_at_idx" ON "route_sample"("route", "at");

-- CreateIndex
CREATE INDEX "route_sample_at_idx" ON "route_sample"("at");

-- CreateIndex
CREATE INDEX "cluster_sample_cluster_at_idx" ON "cluster_sample"("cluster", "at");

-- CreateIndex
CREATE INDEX "cluster_sample_at_idx" ON "cluster_sample"("at");


-- Fallback versions are immutable: a change (or a rollback) is a new version.
CREATE TRIGGER "fallback_version_no_update" BEFORE UPDATE ON "fallback_version"
BEGIN
  SELECT RAISE(ABORT, 'fallback_version is immutable');
END;

CREATE TRIGGER "fallback_version_no_delete" BEFORE DELETE ON "fallback_version"
BEGIN
  SELECT RAISE(ABORT, 'fallback_version is immutable');
END;
