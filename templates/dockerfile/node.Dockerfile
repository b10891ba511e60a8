# Rendered by tm render dockerfile from taskmaster.yml ({{service}}).
# Keep the .dockerignore beside it (tm render dockerignore): without it .env, node_modules
# and .taskmaster/ would be copied into the image.
FROM {{base}} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund

FROM deps AS build
COPY . .
# Build, then drop the dev dependencies: the runtime stage copies this folder as it is.
RUN npm run build --if-present && npm prune --omit=dev --no-audit --no-fund

FROM {{base}} AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build --chown=node:node /app .
USER node
EXPOSE {{port}}
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", {{health_check}}]
CMD {{command}}
