# syntax=docker/dockerfile:1
# One image for every Tierline process (docker-compose.yml picks the command):
#   docker build -t tierline .
#   docker run --rm tierline --help
# Two stages: the first compiles the TypeScript to dist/ (`npm run build`); the image holds
# only production dependencies, dist/, bin/ and examples/: no sources, no tsx, no dev tools.

FROM node:20-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
# Everything .dockerignore lets through: the production folders, bin/ and the build script.
COPY . .
RUN npm run build

FROM node:20-slim

ENV NODE_ENV=production \
    NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false \
    MAIL_OUTBOX_DIR=/app/outbox

WORKDIR /app

# Dependencies first, so a source change does not reinstall them.
COPY package.json package-lock.json ./
RUN npm ci --omit=dev && npm cache clean --force

COPY bin ./bin
COPY --from=build /app/dist ./dist
COPY examples ./examples

# .eml files when SMTP_URL is unset.
RUN mkdir -p /app/outbox && chown node:node /app/outbox
USER node

# Node is not PID 1's friend: compose runs these with `init: true` (tini) so signals reach
# node and SIGTERM starts the graceful shutdown (TIERLINE_SHUTDOWN_TIMEOUT_MS).
ENTRYPOINT ["node", "bin/tierline.js"]
CMD ["--help"]
