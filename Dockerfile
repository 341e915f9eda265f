# syntax=docker/dockerfile:1
# One image for every Tierline process (docker-compose.yml picks the command):
#   docker build -t tierline .
#   docker run --rm tierline --help
# The CLI runs its TypeScript through tsx (a runtime dependency): no build step.
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
COPY db ./db
COPY domain ./domain
COPY services ./services
COPY queues ./queues
COPY scripts ./scripts
COPY workers ./workers
COPY examples ./examples

# .eml files when SMTP_URL is unset; tsx caches its transpiled files under /tmp.
RUN mkdir -p /app/outbox && chown node:node /app/outbox
USER node

# Node is not PID 1's friend: compose runs these with `init: true` (tini) so signals reach
# node and SIGTERM starts the graceful shutdown (TIERLINE_SHUTDOWN_TIMEOUT_MS).
ENTRYPOINT ["node", "bin/tierline.js"]
CMD ["--help"]
