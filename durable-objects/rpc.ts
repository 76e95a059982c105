/**
 * What the Durable Objects answer each other and the Worker over RPC. Only
 * serializable values cross the boundary: wire JSON (bigints as strings) and
 * `Outcome`s (errors as values: Cloudflare RPC does not carry an error's own
 * properties, so expected failures never travel as exceptions).
 */
import type { ErrorCode } from "../core/errors.ts";
import type { JsonValue } from "../core/types.ts";

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
  | "FAUCET_EMPTY";

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
}

/** ChainDO.account(address) */
export interface AccountView {
  readonly address: string;
  readonly balance: string;
  readonly nonce: number;
  /** decayed to the tip's timestamp */
  readonly reputation: string;
}

/** ChainDO.produce(): what became of the mempool's candidates. */
export interface ProduceResult {
  /** the block's wire form */
  readonly block: JsonValue;
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

/** ChainDO.rounds(), GET /chain/rounds: a round on the head state (bigints as decimal strings). */
export interface RoundView {
  readonly optimae: string;
  readonly domain: string;
  readonly optimizer: string;
  readonly commit: string;
  /** the beacon that seeds the quorum and every evaluator's data */
  readonly beacon: string;
  /** base units, held while the round votes */
  readonly bond: string;
  /** the revealed parameters (JSON) */
  readonly params: JsonValue;
  readonly reported: string;
  readonly revealHeight: number;
  readonly deadline: number;
  readonly quorum: readonly string[];
  readonly votes: readonly { readonly evaluator: string; readonly performance: string; readonly dataHash: string }[];
  readonly status: string;
  readonly verified: string | null;
}

/** ChainDO.champions(), GET /chain/champions: a domain's champion on the head state. */
export interface ChampionView {
  readonly domain: string;
  readonly performance: string;
  readonly optimae: string | null;
  readonly optimizer: string | null;
  /** the champion's parameters (JSON), null for the domain's initial champion */
  readonly params: JsonValue | null;
  readonly height: number;
}

/** ChainDO.commits(): an open commit on the head state. */
export interface CommitView {
  readonly id: string;
  readonly domain: string;
  readonly optimizer: string;
  readonly commitment: string;
  readonly height: number;
  /** base units */
  readonly bond: string;
}

/** ChainDO.difficulty(), GET /chain/difficulty. */
export interface DifficultyView {
  readonly threshold: string;
  readonly emaBlockTimeMs: string;
  readonly lastWorkTimestamp: number;
  readonly epochStartTimestamp: number;
  readonly blocksInEpoch: number;
  readonly targetBlockTimeMs: number;
  readonly carrierIntervalMs: number;
  readonly pendingWork: string;
}
