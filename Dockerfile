# syntax=docker/dockerfile:1
# edgerec: one image for every role (broker, central, edge, simulator); the command picks the role.
# Targets: `runtime` (CPU) and `central-gpu` (CUDA + @tensorflow/tfjs-node-gpu for central).

ARG NODE_VERSION=20

# ---- deps: install with the native build toolchain (better-sqlite3 compiles here) ----
FROM node:${NODE_VERSION}-bookworm-slim AS deps
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ \
    && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
COPY proto-schemas/package.json proto-schemas/
COPY services/package.json services/
COPY edge/package.json edge/
COPY central/package.json central/
COPY test/package.json test/
RUN npm ci --omit=dev --no-audit --no-fund

# ---- check: type-check the sources with the dev toolchain (fails the build on type errors) ----
FROM deps AS check
RUN npm ci --no-audit --no-fund
COPY . .
RUN npx tsc -b

# ---- runtime: production node_modules + sources; tsx runs the TypeScript directly ----
FROM node:${NODE_VERSION}-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /app/node_modules node_modules
COPY --from=check /app/package.json /app/tsconfig.base.json ./
COPY --from=check /app/bin bin
COPY --from=check /app/proto-schemas proto-schemas
COPY --from=check /app/services services
COPY --from=check /app/edge edge
COPY --from=check /app/central central
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
ENTRYPOINT ["node", "bin/edgerec.js"]
CMD ["--help"]

# ---- central-gpu: CUDA runtime + tfjs-node-gpu; central picks it at start-up ----
# tfjs-node-gpu 4.x links TensorFlow 2.9, which wants CUDA 11.2 and cuDNN 8.1.
FROM nvidia/cuda:11.2.2-cudnn8-runtime-ubuntu20.04 AS central-gpu
ARG NODE_VERSION
RUN apt-get update && apt-get install -y --no-install-recommends curl ca-certificates python3 make g++ \
    && curl -fsSL https://deb.nodesource.com/setup_${NODE_VERSION}.x | bash - \
    && apt-get install -y --no-install-recommends nodejs && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=runtime /app /app
RUN npm install --no-save --no-audit --no-fund @tensorflow/tfjs-node-gpu@4 \
    && mkdir -p /data
VOLUME ["/data"]
ENTRYPOINT ["node", "bin/edgerec.js"]
CMD ["central", "--help"]
