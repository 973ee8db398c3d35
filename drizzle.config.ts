import { defineConfig } from "drizzle-kit";

// `npm run db:generate` writes a new migration into drizzle/ after src/db/schema.ts changes;
// then list it in src/db/migrations.ts so the compiled binary carries it.
export default defineConfig({
  dialect: "sqlite",
  schema: "./src/db/schema.ts",
  out: "./drizzle",
});
