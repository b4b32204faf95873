# syntax=docker/dockerfile:1
# Brownout images, built from the monorepo root:
#   docker build --target gateway -t brownout/gateway .
#   docker build --target console -t brownout/console .
# Multi-stage: dependencies and the build in one stage, then slim runtime stages that run as the
# unprivileged `node` user with only what they need.

FROM node:20-slim AS build
WORKDIR /src
# better-sqlite3 (console) compiles from source when no prebuilt binary matches.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json turbo.json tsconfig.json prisma.config.ts ./
COPY packages ./packages
COPY apps ./apps
COPY prisma ./prisma
COPY scripts ./scripts
COPY schema ./schema
COPY examples ./examples
ENV TURBO_TELEMETRY_DISABLED=1 NEXT_TELEMETRY_DISABLED=1
RUN npm ci && npx turbo run build && npm prune --omit=dev

FROM node:20-slim AS gateway
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build --chown=node:node /src/node_modules ./node_modules
COPY --from=build --chown=node:node /src/packages ./packages
COPY --from=build --chown=node:node /src/apps/gateway ./apps/gateway
COPY --from=build --chown=node:node /src/examples ./examples
COPY --from=build --chown=node:node /src/package.json ./package.json
USER node
# 8080 public, 9901 admin (GET /ready needs no token).
EXPOSE 8080 9901
HEALTHCHECK --interval=5s --timeout=2s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.BROWNOUT_ADMIN_PORT || 9901) + '/ready').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# SIGTERM drains (stops accepting, finishes in-flight requests) before exiting.
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "apps/gateway/dist/main.js"]
CMD ["--config", "/etc/brownout/gateway.yaml"]

FROM node:20-slim AS console
ENV NODE_ENV=production NEXT_TELEMETRY_DISABLED=1 HOST=0.0.0.0 PORT=3000 BROWNOUT_CONSOLE_DATA_DIR=/data
WORKDIR /app
COPY --from=build --chown=node:node /src/node_modules ./node_modules
COPY --from=build --chown=node:node /src/packages ./packages
COPY --from=build --chown=node:node /src/apps/console ./apps/console
COPY --from=build --chown=node:node /src/prisma ./prisma
COPY --from=build --chown=node:node /src/package.json ./package.json
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:3000/login').then(r => process.exit(r.status < 500 ? 0 : 1), () => process.exit(1))"]
WORKDIR /app/apps/console
ENTRYPOINT ["node", "server.mjs"]
