-- CreateTable
CREATE TABLE "fallback_version" (
    "id" SERIAL NOT NULL,
    "route" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "status" INTEGER NOT NULL,
    "content_type" TEXT NOT NULL,
    "headers" TEXT NOT NULL,
    "body" TEXT NOT NULL,
    "message" TEXT NOT NULL,
    "author" TEXT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "copied_from" INTEGER,

    CONSTRAINT "fallback_version_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "fallback_schema" (
    "route" TEXT NOT NULL,
    "schema" TEXT NOT NULL,
    "updated_by" TEXT NOT NULL,
    "version" INTEGER NOT NULL DEFAULT 1,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "fallback_schema_pkey" PRIMARY KEY ("route")
);

-- CreateTable
CREATE TABLE "route_sample" (
    "id" SERIAL NOT NULL,
    "at" TIMESTAMP(3) NOT NULL,
    "route" TEXT NOT NULL,
    "rps" DOUBLE PRECISION NOT NULL,
    "error_ratio" DOUBLE PRECISION,
    "degraded_rate" DOUBLE PRECISION NOT NULL,
    "p99_ms" DOUBLE PRECISION,

    CONSTRAINT "route_sample_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "cluster_sample" (
    "id" SERIAL NOT NULL,
    "at" TIMESTAMP(3) NOT NULL,
    "cluster" TEXT NOT NULL,
    "ejected" INTEGER NOT NULL,
    "hosts" INTEGER NOT NULL,

    CONSTRAINT "cluster_sample_pkey" PRIMARY KEY ("id")
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
CREATE FUNCTION "fallback_version_immutable"() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'fallback_version is immutable';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER "fallback_version_no_update_delete" BEFORE UPDATE OR DELETE ON "fallback_version"
  FOR EACH ROW EXECUTE FUNCTION "fallback_version_immutable"();

CREATE TRIGGER "fallback_version_no_truncate" BEFORE TRUNCATE ON "fallback_version"
  FOR EACH STATEMENT EXECUTE FUNCTION "fallback_version_immutable"();
