/**
 * Each node's D1 gets the migrations of wrangler.toml's `migrations_dir`
 * before use, the way wrangler records them (`d1_migrations`). Which ones
 * each node has is also kept next to the data (`<persist>/d1-migrations.json`),
 * so that a restart need not ask D1 (the first D1 call from Node costs ≈ 1 s:
 * Miniflare starts its proxy).
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Miniflare } from "miniflare";
import type { MigrationSet } from "./build.ts";

export class D1Migrations {
  /** the nodes migrated in this process */
  private readonly migrated = new Set<number>();
  private readonly wanted: string[];

  constructor(private readonly sets: readonly MigrationSet[]) {
    this.wanted = sets.flatMap((m) => m.files.map((f) => `${m.binding}/${f.name}`));
  }

  /** Applies what node `i` (Worker `name`, in the workerd `mf` persisting under `persist`) lacks. */
  async apply(mf: Miniflare | undefined, persist: string, i: number, name: string): Promise<void> {
    if (this.migrated.has(i) || mf === undefined) return;
    const recorded = new Set(readMarker(persist)[name] ?? []);
    if (this.wanted.every((w) => recorded.has(w))) {
      this.migrated.add(i);
      return;
    }
    for (const set of this.sets) {
      const db = await mf.getD1Database(set.binding, name);
      await db.prepare("CREATE TABLE IF NOT EXISTS d1_migrations (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE, applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL)").run();
      const done = new Set(((await db.prepare("SELECT name FROM d1_migrations").all<{ name: string }>()).results ?? []).map((r) => r.name));
      for (const f of set.files) {
        if (done.has(f.name)) continue;
        await db.batch([...f.queries.map((q) => db.prepare(q)), db.prepare("INSERT INTO d1_migrations (name) VALUES (?1)").bind(f.name)]);
      }
    }
    this.migrated.add(i);
    writeFileSync(markerOf(persist), `${JSON.stringify({ ...readMarker(persist), [name]: this.wanted }, null, 1)}\n`);
  }
}

const markerOf = (persist: string): string => join(persist, "d1-migrations.json");

function readMarker(persist: string): Record<string, string[]> {
  try {
    return JSON.parse(readFileSync(markerOf(persist), "utf8")) as Record<string, string[]>;
  } catch {
    return {};
  }
}
