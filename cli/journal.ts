/**
 * The optimizer's journal: what `doin optimize` must not lose between its
 * commit and its reveal (parameters, salt, claim) and how far each optimae
 * got, so that a run stopped midway (Ctrl-C, a crash) is resumed by the next
 * one. One JSON file per key, written atomically; the salt and the entry are
 * written before the commit that depends on them is sent.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { JsonValue } from "../core/types.ts";
import { CliError, EXIT } from "./errors.ts";

export type Stage =
  /** commit signed and about to be (or being) sent */
  | "committing"
  /** commit accepted by the node; waiting for its block, then revealing */
  | "committed"
  /** reveal accepted by the node; waiting for the verdict */
  | "revealed"
  /** accept sent; waiting for the claim */
  | "accepting"
  /** final states */
  | "claimed"
  | "superseded"
  | "rejected"
  | "expired"
  | "abandoned";

export const FINISHED: readonly Stage[] = ["claimed", "superseded", "rejected", "expired", "abandoned"];

export interface Experiment {
  readonly experimentId: string;
  readonly roundNumber: number;
  readonly timeToResultSeconds: number;
  readonly optimizationConfigHash: string;
  readonly dataHash: string;
}

export interface OptimaeEntry {
  readonly commitment: string;
  readonly domain: string;
  readonly params: JsonValue;
  readonly salt: string;
  /** claimed performance (Fixed, decimal string) */
  readonly reported: string;
  readonly experiment: Experiment;
  readonly stage: Stage;
  readonly commitTx: string | null;
  readonly revealTx: string | null;
  readonly acceptTx: string | null;
  /** height of the block that included the accept (the reward lands there or in a later work block) */
  readonly acceptHeight: number | null;
  readonly note?: string;
  readonly updatedAt: string;
}

interface JournalFile {
  readonly version: 1;
  readonly address: string;
  readonly optimae: OptimaeEntry[];
}

export class Journal {
  private entries: OptimaeEntry[];

  constructor(
    readonly path: string,
    readonly address: string,
  ) {
    this.entries = [];
    if (!existsSync(path)) return;
    try {
      const f = JSON.parse(readFileSync(path, "utf8")) as JournalFile;
      if (f.version !== 1 || f.address !== address || !Array.isArray(f.optimae)) throw new Error("not this key's journal");
      this.entries = f.optimae;
    } catch (e) {
      throw new CliError("JOURNAL_DAMAGED", `${path}: ${e instanceof Error ? e.message : String(e)}`, EXIT.KEYSTORE, "move it away to start afresh (open optimae in it are then given up)");
    }
  }

  /** Optimae not finished yet, oldest first. */
  open(domain: string): OptimaeEntry[] {
    return this.entries.filter((e) => e.domain === domain && !FINISHED.includes(e.stage));
  }

  save(entry: Omit<OptimaeEntry, "updatedAt">): OptimaeEntry {
    const stamped = { ...entry, updatedAt: new Date().toISOString() };
    const i = this.entries.findIndex((e) => e.commitment === entry.commitment);
    if (i === -1) this.entries.push(stamped);
    else this.entries[i] = stamped;
    // finished optimae are kept for a while (the last 200), as a record
    const done = this.entries.filter((e) => FINISHED.includes(e.stage));
    if (done.length > 200) {
      const drop = new Set(done.slice(0, done.length - 200));
      this.entries = this.entries.filter((e) => !drop.has(e));
    }
    mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
    const tmp = `${this.path}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify({ version: 1, address: this.address, optimae: this.entries } satisfies JournalFile, null, 1)}\n`, { mode: 0o600 });
    renameSync(tmp, this.path);
    return stamped;
  }
}
