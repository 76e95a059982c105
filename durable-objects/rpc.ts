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
  | "FAUCET_EMPTY"
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
    readonly header: JsonValue;
    /** what the account's leaf holds (reputation undecayed, as stored), or null: there is no such account */
    readonly account: JsonValue;
    /** core/state-tree.ts TreeProof */
    readonly siblings: readonly string[];
    readonly leaf: { readonly key: string; readonly valueHash: string } | null;
  };
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
  readonly votes: readonly VoteView[];
  readonly status: string;
  readonly verified: string | null;
}

/** A vote as views show it: the evaluator, its Fixed performance (decimal), the hash of its own data. */
export interface VoteView {
  readonly evaluator: string;
  readonly performance: string;
  readonly dataHash: string;
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

/**
 * ChainDO.dutiesFor(address, domain): what one node's QuorumDO of a domain
 * needs from the head state, and nothing else (durable-objects/duty-planner.ts
 * decides on it).
 */
export interface DutiesView {
  /** the head's height */
  readonly height: number;
  /** voting rounds of the domain that selected `address` and that it has not voted in (past their deadline too: the planner decides) */
  readonly evaluate: readonly {
    readonly optimae: string;
    /** the commit and the beacon seed the evaluator's data (core/quorum.ts evaluatorSeed) */
    readonly commit: string;
    readonly beacon: string;
    readonly params: JsonValue;
    readonly reported: string;
    readonly deadline: number;
  }[];
  /** open commits of `address` in the domain */
  readonly commits: readonly { readonly id: string; readonly commitment: string; readonly height: number }[];
  /** rounds of the domain whose optimizer is `address` (open and recently decided) */
  readonly rounds: readonly { readonly optimae: string; readonly commit: string; readonly status: string }[];
  /**
   * rounds still voting on the head, in every domain (ChainStatus.openRounds): they need heights to
   * pass, so any QuorumDO's sync keeps blocks coming while one waits
   */
  readonly openRounds: number;
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

/** ChainDO.screen(): what the mempool asks the chain about a transaction before it takes it. */
export interface TxScreen {
  /** the canonical chain already holds it */
  readonly known: boolean;
  /** the sender's last applied nonce */
  readonly nonce: number;
  /** the sender's balance, base units */
  readonly balance: string;
  /** core/admission.ts's refusal on the head (a rule no pending tx can cure), or null */
  readonly refusal: { readonly code: ErrorCode; readonly message: string } | null;
}

// ---------------------------------------------------------------------------
// MempoolDO

/** MempoolDO.submit() and submitMany() */
export interface SubmitResult {
  readonly id: string;
  readonly status: "pending";
  /** the pending tx with the same sender and nonce that this one replaced */
  readonly replaced: string | null;
  /** cheaper txs evicted to make room */
  readonly evicted: readonly string[];
}

export interface PendingTxView {
  readonly id: string;
  readonly status: "pending";
  readonly kind: string;
  readonly sender: string;
  readonly nonce: number;
  readonly fee: string;
  /** canonical bytes */
  readonly size: number;
  readonly receivedAt: number;
  /** the wire form as JSON text (as stored; the routes parse it) */
  readonly wire: string;
}

export interface MempoolList {
  readonly total: number;
  readonly bytes: number;
  /** highest fee per byte first, then oldest */
  readonly txs: readonly PendingTxView[];
}

export interface MempoolSize {
  readonly count: number;
  readonly bytes: number;
  readonly maxTxs: number;
  readonly maxBytes: number;
}

export interface FeeSuggestion {
  /** all amounts in base units, decimal strings */
  readonly baseFee: string;
  readonly low: string;
  readonly normal: string;
  readonly high: string;
  readonly urgent: string;
  readonly pending: number;
  readonly pendingBytes: number;
  /** max(count / maxTxs, bytes / maxBytes), parts per million */
  readonly fullnessPpm: number;
  /** target-size blocks (maxTxsPerBlock / 2) of pending txs: the exponent of the base fee */
  readonly backlogBlocks: number;
  /** when the pool is full: a newcomer must pay more per byte than fee / size */
  readonly evictionFloor: { readonly fee: string; readonly size: number } | null;
}

export interface CandidateList {
  readonly ids: readonly string[];
  /** the txs' wire forms as JSON text, in block order */
  readonly txs: readonly string[];
}

export interface AssembleResult {
  /** a block was produced */
  readonly produced: boolean;
  /** why not: "EMPTY" (no candidates), "BELOW_THRESHOLD" or "OUT_OF_TURN" (the chain said not yet), "NOT_A_PRODUCER" (never this node) */
  readonly reason: "EMPTY" | "BELOW_THRESHOLD" | "OUT_OF_TURN" | "NOT_A_PRODUCER" | null;
  readonly height: number | null;
  readonly blockHash: string | null;
  readonly candidates: number;
  readonly included: readonly string[];
  /** removed for good: refused by the chain, stale (nonce already applied) or expired */
  readonly dropped: readonly { readonly id: string; readonly code: string; readonly message: string }[];
  /** refused by the chain for now, still pending */
  readonly deferred: readonly { readonly id: string; readonly code: string }[];
  /** pending after this round */
  readonly pending: number;
}

/** Why a tx left the pool without reaching a block. */
export interface DroppedTxView {
  readonly id: string;
  readonly status: "dropped";
  /** the protocol code that refused it in a block, or EXPIRED, EVICTED, REPLACED */
  readonly code: string;
  readonly message: string;
  readonly droppedAt: number;
}
