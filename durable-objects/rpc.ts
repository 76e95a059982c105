/**
 * What the Durable Objects answer each other and the Worker over RPC. Only
 * serializable values cross the boundary: wire JSON (bigints as strings) and
 * `Outcome`s (errors as values: Cloudflare RPC does not carry an error's own
 * properties, so expected failures never travel as exceptions).
 */
import type { ErrorCode } from "../core/errors.ts";

/** Error codes of the node beyond the protocol's own. */
export type NodeErrorCode =
  | ErrorCode
  | "NOT_FOUND"
  | "UNKNOWN_PARENT"
  | "ALREADY_KNOWN"
  | "MEMPOOL_FULL"
  | "FEE_TOO_LOW"
  | "UNAUTHORIZED"
  | "LEASE_EXPIRED"
  | "UNKNOWN_JOB"
  | "RATE_LIMITED"
  | "STATE_PRUNED"
  | "NO_SNAPSHOT";

export type Outcome<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly code: NodeErrorCode; readonly message: string };

export function success<T>(value: T): Outcome<T> {
  return { ok: true, value };
}

export function failure(code: NodeErrorCode, message: string): { readonly ok: false; readonly code: NodeErrorCode; readonly message: string } {
  return { ok: false, code, message };
}

/** ChainDO.status() */
export interface ChainStatus {
  readonly network: string;
  readonly genesis: string;
  readonly height: number;
  readonly tip: string;
  readonly tipTimestamp: number;
  readonly finalizedHeight: number;
  readonly finalizedHash: string;
  readonly cumulativeWork: string;
  /** the head chain's schedule weight (fork choice: after work, before the beacon) */
  readonly weight: number;
  /** the head's beacon */
  readonly beacon: string;
  readonly threshold: string;
  readonly pendingWork: string;
  readonly supply: string;
  /** coin burned (bonds nobody earned) */
  readonly burned: string;
  readonly mintedBlocks: number;
  readonly accounts: number;
  readonly openRounds: number;
  readonly outboxPending: number;
  /** the lowest height this node holds blocks from: 0, or the snapshot it started from */
  readonly historyFrom: number;
}

/** ChainDO.account(address) */
export interface AccountView {
  readonly address: string;
  readonly balance: string;
  readonly nonce: number;
  /** decayed to the tip's timestamp */
  readonly reputation: string;
}

/** ChainDO.accountProof(): an account at a block, with the proof against that block's state root. */
export interface AccountProofView extends AccountView {
  readonly proof: {
    readonly height: number;
    readonly block: string;
    /** the block is final (at or below the finalized height) */
    readonly finalized: boolean;
    /** the block's header in wire form: its stateRoot is what the proof is against */
    readonly header: unknown;
    /** what the account's leaf holds (reputation undecayed, as stored), or null: there is no such account */
    readonly account: unknown;
    /** core/state-tree.ts TreeProof */
    readonly siblings: readonly string[];
    readonly leaf: { readonly key: string; readonly valueHash: string } | null;
  };
}

/** ChainDO.produce(): what became of the mempool's candidates. */
export interface ProduceResult {
  /** the block's wire form (unknown: RPC types do not recurse into JSON) */
  readonly block: unknown;
  readonly height: number;
  readonly included: readonly string[];
  /** candidates refused by the state, with the reason: the mempool drops them unless the code is temporary */
  readonly rejected: readonly { readonly id: string; readonly code: string; readonly message: string }[];
}

/** ChainDO.submitBlock(): where the block went. */
export interface SubmitBlockResult {
  readonly hash: string;
  readonly height: number;
  /** the block became (part of) the head chain */
  readonly head: boolean;
  readonly reorg: { readonly from: string; readonly to: string; readonly depth: number } | null;
}
