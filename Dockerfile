# pubsub-aggregator: build stage compiles TypeScript and better-sqlite3; the
# runtime stage has only what `aggregator` needs, runs as a non-root user and
# keeps its data in the /app/data volume.
# test/docker-build.test.ts performs these same steps without a Docker engine.

# Node 26, the current LTS; CI runs the test suite on it too (.ci/run).
FROM node:26-trixie-slim AS build
WORKDIR /app
# better-sqlite3 falls back to compiling from source when no prebuilt binary fits.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json tsconfig.json ./
COPY scripts ./scripts
COPY src ./src
# `prepare` compiles the TypeScript and copies the dashboard assets into dist/.
RUN npm ci --no-audit --no-fund
RUN npm prune --omit=dev --no-audit --no-fund

FROM node:26-trixie-slim AS runtime
# HOST=0.0.0.0: inside a container the server must listen beyond loopback (the CLI's default
# is 127.0.0.1); what reaches it from outside is decided by the published ports.
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8080 \
    DATA_DIR=/app/data
WORKDIR /app
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
RUN mkdir -p /app/data && chown node:node /app/data \
 && ln -s /app/dist/src/cli/main.js /usr/local/bin/aggregator && chmod +x /app/dist/src/cli/main.js
USER node
VOLUME ["/app/data"]
EXPOSE 8080
# Healthy = ready: /readyz answers 200 only while the store answers and the writer commits.
# The slim image has no curl; Node's fetch does the probe.
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# Node is PID 1 and handles SIGTERM itself: it drains the writer and exits 0.
ENTRYPOINT ["node", "--max-semi-space-size=4", "/app/dist/src/cli/main.js"]
CMD ["serve"]
