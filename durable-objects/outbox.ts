/**
 * The outbox: projection events waiting to be written to D1, kept in the
 * Durable Object's own SQLite so that they are stored in the same
 * transaction as the chain facts they describe (`add` is synchronous, for
 * `ctx.storage.transactionSync`).
 *
 * `drain` hands the oldest events, in order, to a writer and deletes them
 * only once the writer resolved. A writer that fails leaves them in place
 * (with the attempt count and the error), to be handed over again, from the
 * same first event, on the next drain: the writer must be idempotent
 * (d1-writer.ts is), so a retry after a partial write loses nothing and
 * writes nothing twice. Drains of one outbox never overlap: a drain started
 * while another runs waits for it.
 */
import type { ProjectionEvent } from "./projection.ts";

export interface DrainResult {
  /** events written and removed by this drain */
  readonly written: number;
  /** events still waiting */
  readonly remaining: number;
  /** the writer's error, when it failed (the caller retries later, with backoff) */
  readonly error: string | null;
}

/** Events per writer call, unless the caller says otherwise. */
export const DEFAULT_DRAIN_BATCH = 25;
/** Writer calls per drain: bounds one drain's D1 traffic (one D1 batch per event) within an invocation's limits. */
export const MAX_WRITES_PER_DRAIN = 8;

interface OutboxRow {
  seq: number;
  event: string;
  [key: string]: SqlStorageValue;
}

export class Outbox {
  private running: Promise<unknown> = Promise.resolve();

  constructor(private readonly sql: SqlStorage) {
    sql.exec(`CREATE TABLE IF NOT EXISTS outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, event TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, last_error TEXT)`);
  }

  /** Queues an event (synchronous: call it inside the transaction that makes the change it describes). */
  add(event: ProjectionEvent): void {
    this.sql.exec(`INSERT INTO outbox (event) VALUES (?)`, JSON.stringify(event));
  }

  /** Number of events waiting. */
  pending(): number {
    return this.sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM outbox`).one().n;
  }

  /** The oldest waiting event's attempts and last error (for status pages and tests). */
  head(): { seq: number; attempts: number; lastError: string | null } | null {
    const row = this.sql
      .exec<{ seq: number; attempts: number; last_error: string | null }>(`SELECT seq, attempts, last_error FROM outbox ORDER BY seq LIMIT 1`)
      .toArray()[0];
    return row === undefined ? null : { seq: row.seq, attempts: row.attempts, lastError: row.last_error };
  }

  /**
   * Writes waiting events in order, `maxBatch` per writer call, until none
   * are left, the writer fails, or MAX_WRITES_PER_DRAIN calls were made
   * (then `remaining` > 0 and the caller drains again soon).
   */
  drain(write: (events: readonly ProjectionEvent[]) => Promise<void>, maxBatch: number = DEFAULT_DRAIN_BATCH): Promise<DrainResult> {
    const run = this.running.then(() => this.drainNow(write, Math.max(1, Math.floor(maxBatch))));
    this.running = run.catch(() => undefined);
    return run;
  }

  private async drainNow(write: (events: readonly ProjectionEvent[]) => Promise<void>, maxBatch: number): Promise<DrainResult> {
    let written = 0;
    for (let call = 0; call < MAX_WRITES_PER_DRAIN; call++) {
      const rows = this.sql.exec<OutboxRow>(`SELECT seq, event FROM outbox ORDER BY seq LIMIT ?`, maxBatch).toArray();
      if (rows.length === 0) break;
      const first = (rows[0] as OutboxRow).seq;
      const last = (rows[rows.length - 1] as OutboxRow).seq;
      try {
        await write(rows.map((r) => JSON.parse(r.event) as ProjectionEvent));
      } catch (e) {
        const message = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
        this.sql.exec(`UPDATE outbox SET attempts = attempts + 1, last_error = ? WHERE seq BETWEEN ? AND ?`, message.slice(0, 2_000), first, last);
        return { written, remaining: this.pending(), error: message };
      }
      this.sql.exec(`DELETE FROM outbox WHERE seq BETWEEN ? AND ?`, first, last);
      written += rows.length;
    }
    return { written, remaining: this.pending(), error: null };
  }
}
