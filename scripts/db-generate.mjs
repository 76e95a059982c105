// `npm run db:generate`: drizzle-kit generates the D1 migrations from
// schema/d1.ts; every .sql file must end with a newline (a statement appended
// later onto a comment line would be marked applied without running).
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";

const r = spawnSync("drizzle-kit", ["generate"], { stdio: "inherit" });
if (r.status !== 0) process.exit(r.status ?? 1);
for (const f of readdirSync("schema/migrations")) {
  if (!f.endsWith(".sql")) continue;
  const path = `schema/migrations/${f}`;
  const text = readFileSync(path, "utf8");
  if (!text.endsWith("\n")) writeFileSync(path, `${text}\n`);
}
