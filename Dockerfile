# syntax=docker/dockerfile:1

# deps: every dependency (dev included) from the lockfile.
# build: compiles dist/.
# test: build's sources and test/fixtures plus Debian's chromium; the compose `test` service
#   runs `npm test` here. Never the default target: runtime stays last.
# prod-deps: production dependencies only.
# runtime: dist/, bin/ and production node_modules, run as the unprivileged `node` user.

FROM node:20-bookworm-slim AS base
ENV NPM_CONFIG_UPDATE_NOTIFIER=false NPM_CONFIG_FUND=false NPM_CONFIG_AUDIT=false
WORKDIR /app

FROM base AS deps
COPY package.json package-lock.json ./
# No dependency needs its install script: native binaries (swc, msgpackr) come as optional
# per-platform packages, and argon2 ships prebuilt binaries that node-gyp-build loads. npm 11
# blocks these scripts by default; this keeps npm 10 the same.
RUN npm ci --ignore-scripts

FROM deps AS build
COPY . .
# Every process migrates on start from dist/migrations: an image without them cannot boot.
RUN npm run build \
  && { ls dist/migrations/*.js >/dev/null 2>&1 \
    || { echo "dist/migrations/*.js missing: the build must compile migrations/" >&2; exit 1; }; }

FROM build AS test
# The browser tests drive Debian's chromium (/usr/bin/chromium) with playwright-core, as in CI;
# never a browser downloaded by playwright.
RUN apt-get update \
  && apt-get install -y --no-install-recommends chromium \
  && rm -rf /var/lib/apt/lists/*
# Like CI, the tests run the TypeScript sources: bin/repro.js would run a dist/ left here.
RUN rm -rf dist
CMD ["npm", "test"]

FROM deps AS prod-deps
RUN npm prune --omit=dev --ignore-scripts

FROM base AS runtime
ENV NODE_ENV=production PORT=3000
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY bin ./bin
# Code stays owned by root: the app only reads it.
USER node
EXPOSE 3000
# Liveness only; /readyz (PostgreSQL, Redis, migrations) is for orchestrators that route traffic.
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Exec form so node receives SIGTERM directly and shuts down gracefully (SHUTDOWN_TIMEOUT_MS,
# 25 s by default: give `docker stop` --time 30). Run with --init (compose: init: true) for tini.
# Other roles: node dist/src/main.api.js | node dist/src/main.worker.js | node bin/repro.js
CMD ["node", "dist/src/main.js"]
