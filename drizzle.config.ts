/**
 * drizzle-kit: generates the D1 migrations from schema/d1.ts into
 * schema/migrations (the folder wrangler.toml's D1 binding and the Workers
 * tests apply). Generate with `npx drizzle-kit generate --name <what>`;
 * never add hand-made files to that folder.
 */
import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "sqlite",
  schema: "./schema/d1.ts",
  out: "./schema/migrations",
});
