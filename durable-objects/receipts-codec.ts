/**
 * A block's receipts (core's BlockReceipts) as the ChainDO stores them beside
 * the block: JSON text, bigints as decimal strings. Kept as long as the
 * block's post-state, so that a branch that becomes the head later is
 * projected from what its transition decided.
 */
import type { BlockReceipts } from "../core/state-transition.ts";
import type { Address, Hash } from "../core/types.ts";
import type { ReputationEvent } from "../core/reputation.ts";

export function receiptsToText(r: BlockReceipts): string {
  return JSON.stringify({
    accepts: r.accepts.map((a) => ({ ...a, previousBest: a.previousBest.toString(), verified: a.verified.toString(), increment: a.increment.toString() })),
    verdicts: r.verdicts.map((v) => ({ ...v, verified: v.verified === null ? null : v.verified.toString() })),
    reputation: r.reputation.map((x) => ({ ...x, delta: x.delta.toString() })),
  });
}

interface Stored {
  readonly accepts: readonly { txIndex: number; optimae: Hash; domain: string; optimizer: Address; previousBest: string; verified: string; increment: string; superseded: boolean }[];
  readonly verdicts: readonly { optimae: Hash; status: "accepted" | "rejected" | "expired"; verified: string | null; txIndex: number | null }[];
  readonly reputation: readonly { address: Address; event: ReputationEvent; delta: string; txIndex: number | null }[];
}

/** The inverse of receiptsToText (for text this node wrote itself). */
export function receiptsFromText(text: string): BlockReceipts {
  const s = JSON.parse(text) as Stored;
  return {
    accepts: s.accepts.map((a) => ({ ...a, previousBest: BigInt(a.previousBest), verified: BigInt(a.verified), increment: BigInt(a.increment) })),
    verdicts: s.verdicts.map((v) => ({ ...v, verified: v.verified === null ? null : BigInt(v.verified) })),
    reputation: s.reputation.map((x) => ({ ...x, delta: BigInt(x.delta) })),
  };
}
