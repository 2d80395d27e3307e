# The operator image. Node 24 runs the TypeScript sources directly (type stripping), so there is no
# build step: production dependencies plus src/.
FROM node:24-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

FROM node:24-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY src ./src
# Matches runAsUser in config/manager: a fixed non-root uid with no home or shell to speak of.
USER 65532:65532
# A young generation of 2 MiB semi-spaces instead of V8's 16 MiB: the operator allocates little once
# started, and the larger one is some 25 MiB of resident memory (npm run bench:memory). Keep these
# flags equal to those of the start script in package.json (a unit test checks).
ENTRYPOINT ["node", "--max-semi-space-size=2", "src/main.ts"]
