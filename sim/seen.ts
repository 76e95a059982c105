/**
 * Every node's seen-set in one table: for each payload hash, the time until
 * which each node remembers it (SEEN_TTL_MS after it first saw it). The
 * semantics are the NetworkDO's `seen` table, per node; the storage is one
 * row of N expiry times per payload instead of N tables.
 */
import { SEEN_TTL_MS } from "../durable-objects/gossip.ts";

export class SeenTable {
  private readonly rows = new Map<string, { expires: Float64Array; last: number }>();

  constructor(private readonly size: number) {}

  /** Whether `node` has seen `hash` (unexpired); if not, it has now. */
  seen(node: number, hash: string, nowMs: number): boolean {
    let row = this.rows.get(hash);
    if (row === undefined) {
      row = { expires: new Float64Array(this.size), last: 0 };
      this.rows.set(hash, row);
    }
    if ((row.expires[node] as number) > nowMs) return true;
    row.expires[node] = nowMs + SEEN_TTL_MS;
    row.last = nowMs + SEEN_TTL_MS;
    return false;
  }

  /** Drops rows every node has forgotten. */
  expire(nowMs: number): void {
    for (const [hash, row] of this.rows) if (row.last <= nowMs) this.rows.delete(hash);
  }
}
