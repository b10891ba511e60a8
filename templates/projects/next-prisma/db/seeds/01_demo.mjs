// Demo data, idempotent (it runs again whenever this file changes). Written against the
// tables with pg, since Prisma Client needs an engine binary that cannot be downloaded here.
export default async function seed(client) {
  await client.query(
    `INSERT INTO "User" (id, name, email, "emailVerified") VALUES ('demo-user', 'Demo User', 'demo@example.com', now())
     ON CONFLICT (email) DO UPDATE SET name = EXCLUDED.name`,
  );
  const { rows: [user] } = await client.query(`SELECT id FROM "User" WHERE email = 'demo@example.com'`);
  await client.query(
    `INSERT INTO "Project" (id, name, description, "userId", "updatedAt") VALUES ('demo-project', 'Getting Started', 'A first project to click through', $1, now())
     ON CONFLICT ("userId", name) DO UPDATE SET description = EXCLUDED.description, "updatedAt" = now()`,
    [user.id],
  );
  const { rows: [project] } = await client.query(`SELECT id FROM "Project" WHERE "userId" = $1 AND name = 'Getting Started'`, [user.id]);
  const tasks = [
    ['demo-task-1', 'Explore the dashboard', 'IN_PROGRESS', 'HIGH'],
    ['demo-task-2', 'Invite a teammate', 'TODO', 'MEDIUM'],
  ];
  for (const [id, title, status, priority] of tasks) {
    await client.query(
      `INSERT INTO "Task" (id, title, status, priority, "userId", "projectId", "updatedAt") VALUES ($1, $2, $3, $4, $5, $6, now())
       ON CONFLICT (id) DO UPDATE SET title = EXCLUDED.title, status = EXCLUDED.status, priority = EXCLUDED.priority`,
      [id, title, status, priority, user.id, project.id],
    );
  }
  await client.query(
    `INSERT INTO "Habit" (id, name, frequency, "userId") VALUES ('demo-habit', 'Daily Review', 'daily', $1)
     ON CONFLICT ("userId", name) DO NOTHING`,
    [user.id],
  );
}
