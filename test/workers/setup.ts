import { applyD1Migrations, env } from "cloudflare:test";

// Every test file starts with the D1 schema in place (storage is isolated per file).
await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);
