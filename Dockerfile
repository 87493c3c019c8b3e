# syntax=docker/dockerfile:1
# The smart-ward backend image: broker + API + dashboard + PDF reports in one process, run as the unprivileged `node`
# user with the code read-only under /app and everything it writes under the /var/lib/smartward volume.
# tests/integration/image-recipe.test.ts runs this file's install and start steps (parsed from here) on a machine
# without a container engine; keep each step on one RUN/ENV/CMD line so it can.

# Node 20 (package.json engines: >=20.11) on Debian 12, whose chromium and postgresql-client (15) the runtime needs.
ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# Runtime dependencies only. Install scripts are skipped: every dependency ships prebuilt binaries (sharp, esbuild) or
# is pure JS/WASM (PGlite), and npm 11 skips them anyway, so the image installs exactly what the test installs.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

FROM ${NODE_IMAGE} AS runtime
# chromium renders the PDF report (driven by playwright-core, no browser download); fonts-noto-core has the Vietnamese
# glyphs the report needs; postgresql-client is pg_dump/pg_restore for `npm run backup`; tini reaps Chromium's children.
RUN apt-get update && apt-get install -y --no-install-recommends chromium fonts-noto-core postgresql-client tini ca-certificates && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production SW_DATA_DIR=/var/lib/smartward SW_BACKUP_DIR=/var/backups/smartward SW_REPORT_CHROMIUM_PATH=/usr/bin/chromium NPM_CONFIG_CACHE=/tmp/.npm NPM_CONFIG_UPDATE_NOTIFIER=false
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
# Owned by root and not writable by `node`: the service cannot change its own code.
COPY . .
RUN mkdir -p /var/lib/smartward /var/backups/smartward /var/lib/simulator && chown node:node /var/lib/smartward /var/backups/smartward /var/lib/simulator && chmod 0700 /var/lib/smartward /var/backups/smartward /var/lib/simulator
USER node
VOLUME ["/var/lib/smartward", "/var/backups/smartward"]
# MQTT, HTTP (API + dashboard); MQTT/TLS 8883 and HTTPS 8443 once TLS is configured.
EXPOSE 1883 8080 8883 8443
# The embedded database and migrations can take a while on a first start; /ready says when both database and broker answer.
HEALTHCHECK --interval=15s --timeout=5s --start-period=90s --retries=3 CMD ["node", "deploy/healthcheck.mjs"]
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "--import", "tsx", "services/main.ts"]
