# Rendered by tm render k8s from taskmaster.yml: the image of the migration Job and of the
# apps' wait-for-migrations init containers (tm, taskmaster.yml and the migrations, no app).
# Build it from the project root, e.g.
#   docker build -f k8s/migrate.Dockerfile -t registry.example.com/NAME-migrate:TAG .
# and pass that name to tm render k8s --migrate-image.
FROM {{base}}
ENV NODE_ENV=production
RUN npm install --global --no-audit --no-fund {{package}} && npm cache clean --force
WORKDIR /app
COPY taskmaster.yml ./
{{copy_migrations}}
# The pods run as this numeric user (runAsUser), node's in the official images.
USER {{uid}}:{{uid}}
CMD ["tm", "db", "migrate"]
