# featurestream engine image (used by docker-compose.yml; see docs/deployment.md).
#
#   docker build -t featurestream .
#   docker run --rm featurestream --help
#   docker run --rm -e KAFKA_BROKERS=… -e REDIS_URL=… -e CLICKHOUSE_URL=… featurestream run topologies
#
# The engine runs from TypeScript sources through tsx (a runtime dependency), so there is no
# build stage: production dependencies plus src/ and topologies/ are the whole image.

# Node 20 (the project's engines floor), its last release line, on Debian 12 (glibc: the chdb
# native library that @clickhouse/client's embedded mode loads is built for glibc, not musl).
FROM node:20.20.2-bookworm-slim

ENV NODE_ENV=production \
    NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false \
    NPM_CONFIG_AUDIT=false

WORKDIR /app

# Dependencies first, so that a source change does not reinstall them.
# tsx is in "dependencies" (it runs the .ts sources), so --omit=dev keeps everything needed.
# package-lock.json only records chdb's native package for linux-x64 (npm writes the optional
# platform packages of the machine that made the lock); chdb loads its native library as soon as
# the ClickHouse adapter is imported, so on arm64 hosts the matching package is added by name.
COPY package.json package-lock.json ./
RUN npm ci --omit=dev \
 && arch="$(node -p 'process.arch')" \
 && if [ "$arch" = "arm64" ] && [ ! -d node_modules/@chdb/lib-linux-arm64-gnu ]; then \
      npm install --no-save --omit=dev "@chdb/lib-linux-arm64-gnu@$(node -p "require('chdb/package.json').optionalDependencies['@chdb/lib-linux-arm64-gnu']")"; \
    fi \
 && npm cache clean --force

# Sources: what .dockerignore lets through (package*.json, tsconfig.json, src/, topologies/, and
# bin/ once it exists). Owned by root and read-only for the runtime user.
COPY . .

# The runtime user (uid 1000 'node' from the base image) may write only its state directory
# (CLICKHOUSE_PATH defaults to ./.featurestream/clickhouse when CLICKHOUSE_URL is unset).
RUN mkdir -p /app/.featurestream && chown node:node /app/.featurestream
USER node

# 9464: Prometheus /metrics (FS_METRICS_PORT) · 8080: serving API (FS_PORT)
EXPOSE 9464 8080

ENTRYPOINT ["node", "--import", "tsx", "src/cli/main.ts"]
CMD ["run", "topologies"]
