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
ENTRYPOINT ["node", "src/main.ts"]
