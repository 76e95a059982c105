/**
 * Every protocol type, in one place. Plain readonly data: no classes.
 *
 * Two numeric conventions run through the protocol, both integers so that
 * every node computes the same bytes:
 * - `Amount`: coin in base units (1 DOIN = 10^8 base units), bigint.
 * - `Fixed`: a real number in micro-units (1.0 = 10^6), bigint. Performances,
 *   increments, thresholds, weights and reputation are all `Fixed`.
 * On the wire (canonical JSON) both are decimal strings.
 */
import type { Tree } from "./state-tree.ts";

/** Lower-case hex string. */
export type Hex = string;
/** 32-byte SHA-256 digest as 64 lower-case hex characters. */
export type Hash = string;
/** 32-byte Ed25519 public key as 64 lower-case hex characters. */
export type PublicKeyHex = string;
/** 20-byte account address derived from a public key, 40 lower-case hex characters. */
export type Address = string;
/** 64-byte Ed25519 signature as 128 lower-case hex characters. */
export type SignatureHex = string;
/** Coin in base units. */
export type Amount = bigint;
/** Fixed-point real number, scale 10^6. */
export type Fixed = bigint;

/** JSON values that may appear inside hashed structures: no floats, no undefined. */
export type JsonValue = null | boolean | number | string | JsonArray | JsonObject;
/** (Interfaces rather than inline types: the recursion stays lazy, so RPC stub types can map over it.) */
export interface JsonArray extends ReadonlyArray<JsonValue> {}
export interface JsonObject {
  readonly [key: string]: JsonValue;
}

// ---------------------------------------------------------------------------
// Transactions

export type TxKind = "commit" | "reveal" | "vote" | "accept" | "transfer" | "anchor";

/** Optimizer commits to hidden parameters: commitment = H(domain, params, salt, reported, optimizer). */
export interface CommitBody {
  readonly domain: string;
  readonly commitment: Hash;
}

/** Optimizer reveals what it committed to, once the commit is on chain. */
export interface RevealBody {
  /** id of the commit transaction */
  readonly commit: Hash;
  readonly params: JsonValue;
  /** 16..64 random bytes, hex */
  readonly salt: Hex;
  /** claimed performance of `params` (Fixed) */
  readonly reported: Fixed;
}

/** A selected evaluator's measurement of a revealed optimae on its own synthetic data. */
export interface VoteBody {
  /** id of the reveal transaction (the optimae id) */
  readonly optimae: Hash;
  readonly performance: Fixed;
  /** hash of the synthetic data the evaluator generated from its seed */
  readonly dataHash: Hash;
}

/** Optimizer claims a verified improvement; carries the experiment's metadata (hashes only). */
export interface AcceptBody {
  readonly optimae: Hash;
  readonly experimentId: string;
  readonly roundNumber: number;
  readonly timeToResultSeconds: number;
  readonly optimizationConfigHash: Hash;
  readonly dataHash: Hash;
}

export interface TransferBody {
  readonly to: Address;
  readonly amount: Amount;
}

/** Records that the block at `height` was published to an external ledger. */
export interface AnchorBody {
  readonly height: number;
  readonly blockHash: Hash;
  readonly ledger: string;
  readonly ref: string;
}

export interface TxBodies {
  readonly commit: CommitBody;
  readonly reveal: RevealBody;
  readonly vote: VoteBody;
  readonly accept: AcceptBody;
  readonly transfer: TransferBody;
  readonly anchor: AnchorBody;
}

/** The signed part of a transaction. Its id is H("tx", canonical(UnsignedTx)). */
export type UnsignedTx = {
  [K in TxKind]: {
    readonly network: string;
    readonly kind: K;
    readonly from: PublicKeyHex;
    /** per-account sequence number, first transaction has nonce 1 */
    readonly nonce: number;
    readonly fee: Amount;
    readonly body: TxBodies[K];
  };
}[TxKind];

/** A signed transaction: the producer of `sig` is `from`, over the 32 id bytes. */
export type Tx = UnsignedTx & { readonly id: Hash; readonly sig: SignatureHex };
export type TxOf<K extends TxKind> = Extract<Tx, { kind: K }>;

// ---------------------------------------------------------------------------
// Blocks

export type CoinbaseRole = "producer" | "optimizer" | "evaluator";

export interface CoinbaseOutput {
  readonly to: Address;
  readonly amount: Amount;
  readonly role: CoinbaseRole;
}

export interface BlockHeader {
  readonly network: string;
  readonly height: number;
  readonly parent: Hash;
  /** milliseconds since the Unix epoch */
  readonly timestamp: number;
  readonly producer: PublicKeyHex;
  /** merkle root over the transaction ids */
  readonly txRoot: Hash;
  /** hash of the coinbase outputs */
  readonly coinbaseRoot: Hash;
  /** hash of the state after this block */
  readonly stateRoot: Hash;
  /** verified work this block carries: the sum of its accepted optimae's effective increments */
  readonly work: Fixed;
  /** cumulative work from genesis through this block (fork choice reads it from headers) */
  readonly cumulativeWork: Fixed;
  /** the proof-of-optimization threshold in force for this block */
  readonly threshold: Fixed;
  /** the producer's place in this height's schedule (0 = first in turn; core/schedule.ts) */
  readonly rank: number;
  /** the producer's VRF proof (RFC 9381, 80 bytes) on this height's beacon input (core/beacon.ts) */
  readonly vrf: Hex;
  /** the chain's randomness after this block: H("beacon", {parent beacon, this block's VRF output}) */
  readonly beacon: Hash;
}

export interface Block {
  readonly header: BlockHeader;
  readonly txs: readonly Tx[];
  readonly coinbase: readonly CoinbaseOutput[];
  /** H("block", canonical(header)) */
  readonly hash: Hash;
  /** producer's signature over the 32 hash bytes */
  readonly sig: SignatureHex;
}

// ---------------------------------------------------------------------------
// Domains and chain parameters

/** Reward fraction curve (reference incentives.py), all in parts per million. */
export interface IncentiveConfig {
  readonly toleranceMarginPpm: number;
  readonly bonusThresholdPpm: number;
  readonly minRewardFractionPpm: number;
  readonly maxBonusPpm: number;
}

export interface DomainConfig {
  readonly id: string;
  readonly higherIsBetter: boolean;
  /** an optimae counts only if it beats the champion by at least this much (after verification) */
  readonly epsilon: Fixed;
  /** coin a commit locks until its round is decided (back if accepted, to the evaluators if not) */
  readonly bond: Amount;
  /** consensus weight of the domain */
  readonly weight: Fixed;
  /** votes agree with the median when |v − median| ≤ max(toleranceAbs, toleranceRelPpm·|median|) */
  readonly toleranceAbs: Fixed;
  readonly toleranceRelPpm: number;
  /** share of votes that must agree, parts per million (reference 0.67) */
  readonly quorumFractionPpm: number;
  /** performance of the champion before any optimae (Fixed) */
  readonly initialChampion: Fixed;
  /** bytes of a reveal's params (their canonical JSON); a reveal transaction may exceed maxTxBytes by the largest domain's limit */
  readonly maxParamsBytes: number;
  readonly incentive: IncentiveConfig;
  /**
   * The best performance any model can reach on the domain's data (its
   * physical limit), when the domain knows it: reports give champions as a
   * fraction of it. Informative: no rule reads it.
   */
  readonly optimum?: Fixed;
}

export interface GenesisAccount {
  readonly address: Address;
  readonly balance: Amount;
  readonly reputation: Fixed;
}

export interface ChainParams {
  readonly network: string;
  readonly genesisTimestamp: number;
  /** difficulty: target time between work blocks */
  readonly targetBlockTimeMs: number;
  /** a block below the threshold (a carrier block) needs this much time after its parent */
  readonly carrierIntervalMs: number;
  readonly maxFutureDriftMs: number;
  readonly epochLength: number;
  readonly maxEpochAdjustment: number;
  readonly emaAlphaPpm: number;
  readonly perBlockLimitPpm: number;
  readonly initialThreshold: Fixed;
  readonly minThreshold: Fixed;
  readonly maxThreshold: Fixed;
  readonly initialReward: Amount;
  readonly halvingInterval: number;
  readonly maxSupply: Amount;
  readonly producerSharePpm: number;
  readonly optimizerSharePpm: number;
  readonly evaluatorSharePpm: number;
  readonly reputation: ReputationParams;
  readonly quorum: QuorumParams;
  readonly finalityDepth: number;
  readonly anchorInterval: number;
  readonly maxTxsPerBlock: number;
  readonly maxTxBytes: number;
  /** a reveal is valid only this many blocks after its commit: the quorum seed is the beacon there */
  readonly seedDelayBlocks: number;
  /** each place down the producer schedule waits this much longer before it may produce */
  readonly producerSlotMs: number;
  /** commits plus rounds still voting that one account may have open at once */
  readonly maxOpenRoundsPerAccount: number;
  /** canonical bytes of all of a block's transactions together */
  readonly maxBlockTxBytes: number;
  readonly revealWindowBlocks: number;
  readonly voteWindowBlocks: number;
  readonly domains: readonly DomainConfig[];
  readonly genesisAccounts: readonly GenesisAccount[];
}

export interface ReputationParams {
  readonly acceptReward: Fixed;
  readonly rejectPenalty: Fixed;
  readonly evaluationAgreeReward: Fixed;
  readonly evaluationDivergePenalty: Fixed;
  /** a selected evaluator that did not vote before its round was decided */
  readonly missedVotePenalty: Fixed;
  /** exponential decay half-life in milliseconds of block time (the reference's one week) */
  readonly halfLifeMs: number;
  /** decayed reputation needed to be selected as an evaluator */
  readonly minForEvaluator: Fixed;
}

export interface QuorumParams {
  readonly minSize: number;
  readonly maxSize: number;
}

// ---------------------------------------------------------------------------
// State

export interface Account {
  readonly balance: Amount;
  /** nonce of the last applied transaction (0 = none yet) */
  readonly nonce: number;
  /** reputation as of `reputationTime` (decays lazily) */
  readonly reputation: Fixed;
  /** block timestamp (ms) the reputation was last brought up to date */
  readonly reputationTime: number;
  /** block timestamp (ms) of the last vote or accepted optimae (quorum activity); −1 never */
  readonly lastActiveTime: number;
}

export interface Champion {
  readonly performance: Fixed;
  /** the accepted optimae (reveal tx id) or null for the domain's initial champion */
  readonly optimae: Hash | null;
  readonly optimizer: Address | null;
  readonly params: JsonValue | null;
  readonly height: number;
}

export interface CommitRecord {
  readonly id: Hash;
  readonly domain: string;
  readonly optimizer: Address;
  readonly commitment: Hash;
  /** height of the block that included the commit; the beacon seedDelayBlocks later seeds the quorum */
  readonly height: number;
  /** coin locked by the commit */
  readonly bond: Amount;
}

/**
 * "superseded": verified, but claimed after a better champion had arrived:
 * recorded (so the optimizer's later transactions keep their nonces) and
 * worth nothing.
 */
export type RoundStatus = "voting" | "accepted" | "rejected" | "expired" | "claimed" | "superseded";

export interface Vote {
  readonly evaluator: Address;
  readonly performance: Fixed;
  readonly dataHash: Hash;
}

export interface Round {
  /** reveal tx id */
  readonly optimae: Hash;
  readonly domain: string;
  readonly optimizer: Address;
  readonly commit: Hash;
  /** the beacon seedDelayBlocks after the commit's block: it seeds the quorum and every evaluator's data */
  readonly beacon: Hash;
  /** coin the commit locked; settled when the round is decided */
  readonly bond: Amount;
  readonly paramsHash: Hash;
  readonly params: JsonValue;
  readonly reported: Fixed;
  readonly revealHeight: number;
  /** last height at which votes are accepted */
  readonly deadline: number;
  /** selected evaluators, in selection order */
  readonly quorum: readonly Address[];
  readonly votes: readonly Vote[];
  readonly status: RoundStatus;
  /** median of agreeing votes, once decided */
  readonly verified: Fixed | null;
  readonly agreeing: readonly Address[];
}

export interface DifficultyState {
  readonly threshold: Fixed;
  /** EMA of the time between work blocks, milliseconds */
  readonly emaBlockTimeMs: bigint;
  readonly lastWorkTimestamp: number;
  readonly epochStartTimestamp: number;
  readonly blocksInEpoch: number;
}

/** Verified work accumulated since the last work block, and whom it rewards. */
export interface PendingWork {
  readonly work: Fixed;
  /** optimizer → weight (effective increment) */
  readonly optimizers: ReadonlyMap<Address, Fixed>;
  /** evaluator → number of agreeing evaluations */
  readonly evaluators: ReadonlyMap<Address, number>;
}

export interface ChainState {
  readonly network: string;
  readonly height: number;
  readonly tipHash: Hash;
  readonly tipTimestamp: number;
  readonly cumulativeWork: Fixed;
  readonly supply: Amount;
  /** coin destroyed so far (bonds of commits never revealed, of rounds nobody voted on) */
  readonly burned: Amount;
  /** the tip's beacon: the chain's randomness (core/beacon.ts) */
  readonly beacon: Hash;
  /** number of work blocks so far: the issuance schedule's index */
  readonly mintedBlocks: number;
  readonly accounts: ReadonlyMap<Address, Account>;
  readonly champions: ReadonlyMap<string, Champion>;
  readonly commits: ReadonlyMap<Hash, CommitRecord>;
  readonly rounds: ReadonlyMap<Hash, Round>;
  /** paramsHash → first optimae that revealed those params (copies gain nothing) */
  readonly revealedParams: ReadonlyMap<Hash, Hash>;
  readonly difficulty: DifficultyState;
  readonly pending: PendingWork;
  /** external anchors recorded on chain: height → block hash */
  readonly anchors: ReadonlyMap<number, Hash>;
  /** hashes of checkpoint blocks (every anchorInterval): height → block hash */
  readonly checkpoints: ReadonlyMap<number, Hash>;
  /** beacons of the most recent blocks (reveal window), height → beacon: quorum seeds read them */
  readonly recentBeacons: ReadonlyMap<number, Hash>;
  /** the chain's schedule weight through the tip: Σ turnWeight(rank) (fork choice's second key), so a snapshot carries it */
  readonly weight: number;
  /**
   * Everything above as the leaves of a sparse Merkle tree (core/state-root.ts);
   * its root is the header's stateRoot. The transition updates it with the
   * keys a block changed, and `accounts` reads through it.
   */
  readonly tree: Tree<StateEntry>;
}

/** The scalar part of the state, one leaf of the state tree. */
export interface StateMeta {
  readonly network: string;
  readonly height: number;
  readonly tipTimestamp: number;
  readonly cumulativeWork: Fixed;
  readonly weight: number;
  readonly supply: Amount;
  readonly burned: Amount;
  readonly beacon: Hash;
  readonly mintedBlocks: number;
  readonly difficulty: DifficultyState;
  readonly pendingWork: Fixed;
}

/** One leaf of the state tree: a key space, the id of the item in it, and the item. */
export type StateEntry =
  | { readonly space: "meta"; readonly id: "chain"; readonly value: StateMeta }
  | { readonly space: "account"; readonly id: Address; readonly value: Account }
  | { readonly space: "champion"; readonly id: string; readonly value: Champion }
  | { readonly space: "commit"; readonly id: Hash; readonly value: CommitRecord }
  | { readonly space: "round"; readonly id: Hash; readonly value: Round }
  | { readonly space: "revealed"; readonly id: Hash; readonly value: Hash }
  | { readonly space: "pending-optimizer"; readonly id: Address; readonly value: Fixed }
  | { readonly space: "pending-evaluator"; readonly id: Address; readonly value: number }
  | { readonly space: "anchor"; readonly id: number; readonly value: Hash }
  | { readonly space: "checkpoint"; readonly id: number; readonly value: Hash }
  | { readonly space: "recent-beacon"; readonly id: number; readonly value: Hash };

export type StateSpace = StateEntry["space"];
