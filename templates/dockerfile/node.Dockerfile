# syntax=docker/dockerfile:1
# Rendered by tm render dockerfile from taskmaster.yml ({{service}}).
FROM {{base}} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci

FROM deps AS build
COPY . .
RUN npm run build --if-present

FROM {{base}} AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev && npm cache clean --force
COPY --from=build --chown=node:node /app .
USER node
EXPOSE {{port}}
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('{{health}}').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD {{command}}
