/**
 * Test fixtures: deterministic keys, a small devnet, and a driver that
 * produces blocks through the real buildBlock/applyBlock path.
 */
import { devnetParams, FIXED_ONE, COIN_UNIT } from "../../../core/params.ts";
import { addressFromPublicKey, publicKeyFromSecret, secretFromSeedPhrase } from "../../../core/keys.ts";
import { genesisBlock } from "../../../core/genesis.ts";
import { producerSchedule, slotDelayMs } from "../../../core/schedule.ts";
import { applyBlock, bondsHeld, buildBlock } from "../../../core/state-transition.ts";
import { computeCommitment, createTx } from "../../../core/tx.ts";
import type { Address, Block, ChainParams, ChainState, Fixed, Hash, JsonValue, PublicKeyHex, Tx, TxKind, TxOf, UnsignedTx } from "../../../core/types.ts";

export interface TestKey {
  readonly secret: Uint8Array;
  readonly pub: PublicKeyHex;
  readonly address: Address;
}

export function testKey(name: string): TestKey {
  const secret = secretFromSeedPhrase(name);
  const pub = publicKeyFromSecret(secret);
  return { secret, pub, address: addressFromPublicKey(pub) };
}

export const VALIDATORS: readonly TestKey[] = Array.from({ length: 5 }, (_, i) => testKey(`validator-${i}`));
export const OUTSIDER = testKey("outsider");

export function testParams(overrides: Partial<ChainParams> = {}): ChainParams {
  return devnetParams({
    network: "doin-test",
    genesisAccounts: VALIDATORS.map((k) => ({ address: k.address, balance: 1_000n * COIN_UNIT, reputation: 5n * FIXED_ONE })),
    ...overrides,
  });
}

type BodyOf<K extends TxKind> = UnsignedTx extends infer U ? (U extends { kind: K; body: infer B } ? B : never) : never;

export class ChainDriver {
  state: ChainState;
  readonly blocks: Block[] = [];
  readonly states: ChainState[] = [];
  readonly nonces = new Map<PublicKeyHex, number>();
  now: number;

  /** `keys`: the keys the driver may produce with (the first of them in the schedule produces) */
  constructor(
    readonly params: ChainParams = testParams(),
    readonly keys: readonly TestKey[] = [...VALIDATORS, OUTSIDER],
  ) {
    const g = genesisBlock(params);
    this.state = g.state;
    this.blocks.push(g.block);
    this.states.push(g.state);
    this.now = params.genesisTimestamp;
  }

  tx<K extends TxKind>(key: TestKey, kind: K, body: BodyOf<K>, fee = 0n): TxOf<K> {
    const nonce = (this.nonces.get(key.pub) ?? this.state.accounts.get(key.address)?.nonce ?? 0) + 1;
    this.nonces.set(key.pub, nonce);
    return createTx(kind, body, { secret: key.secret, nonce, network: this.params.network, fee });
  }

  /** The first producer in this height's schedule whose key the tests hold. */
  scheduled(): TestKey {
    return scheduledFor(this.state, this.params, this.keys);
  }

  /**
   * Builds a block from txs (all must be valid) by `producer` (default: the
   * first in turn), verifies it through applyBlock, and makes it the tip. The
   * clock moves by `advanceMs`, and further when the producer's slot comes later.
   */
  async produce(txs: readonly Tx[], producer: TestKey = this.scheduled(), advanceMs = this.params.carrierIntervalMs): Promise<Block> {
    this.now += advanceMs;
    const rank = producerSchedule(this.state, this.params).indexOf(producer.address);
    if (rank > 0) this.now = Math.max(this.now, this.state.tipTimestamp + slotDelayMs(rank, false, this.params));
    let built = buildBlock(this.state, txs, this.params, { producerSecret: producer.secret, timestamp: this.now });
    if (!built.ok && (built.error.code === "OUT_OF_TURN" || built.error.code === "BELOW_THRESHOLD") && advanceMs >= this.params.carrierIntervalMs) {
      // a carrier block: its slot is carrierIntervalMs + rank · producerSlotMs after the parent
      this.now = Math.max(this.now, this.state.tipTimestamp + slotDelayMs(rank, true, this.params));
      built = buildBlock(this.state, txs, this.params, { producerSecret: producer.secret, timestamp: this.now });
    }
    if (!built.ok) throw new Error(`buildBlock: ${built.error.code} ${built.error.message}`);
    if (built.value.rejected.length > 0) {
      const r = built.value.rejected[0];
      throw new Error(`tx rejected: ${r?.error.code} ${r?.error.message}`);
    }
    const applied = await applyBlock(this.state, built.value.block, this.params);
    if (!applied.ok) throw new Error(`applyBlock: ${applied.error.code} ${applied.error.message}`);
    this.state = applied.value;
    this.blocks.push(built.value.block);
    this.states.push(applied.value);
    return built.value.block;
  }

  /** Commits, reveals and collects votes for one optimae; returns the reveal (optimae) id. */
  async optimae(opts: {
    optimizer: TestKey;
    params: JsonValue;
    reported: Fixed;
    vote: (evaluator: Address) => Fixed | null;
    domain?: string;
  }): Promise<Hash> {
    const domain = opts.domain ?? "quadratic";
    const salt = "ab".repeat(16);
    const commitment = computeCommitment({ domain, params: opts.params, salt, reported: opts.reported, optimizer: opts.optimizer.pub });
    const commit = this.tx(opts.optimizer, "commit", { domain, commitment });
    await this.produce([commit]);
    // the quorum seed is the beacon seedDelayBlocks later: the reveal comes after it
    for (let i = 0; i < this.params.seedDelayBlocks; i++) await this.produce([]);
    const reveal = this.tx(opts.optimizer, "reveal", { commit: commit.id, params: opts.params, salt, reported: opts.reported });
    await this.produce([reveal]);
    const round = this.state.rounds.get(reveal.id);
    if (round === undefined) throw new Error("no round after reveal");
    const votes: Tx[] = [];
    for (const e of round.quorum) {
      const perf = opts.vote(e);
      if (perf === null) continue;
      const key = keyOf(e);
      votes.push(this.tx(key, "vote", { optimae: reveal.id, performance: perf, dataHash: "cd".repeat(32) }));
    }
    if (votes.length > 0) await this.produce(votes);
    return reveal.id;
  }

  accept(optimizer: TestKey, optimae: Hash): TxOf<"accept"> {
    return this.tx(optimizer, "accept", {
      optimae,
      experimentId: "exp-1",
      roundNumber: 1,
      timeToResultSeconds: 3,
      optimizationConfigHash: "11".repeat(32),
      dataHash: "22".repeat(32),
    });
  }
}

/** The first producer in the schedule after `state` whose key the tests hold. */
export function scheduledFor(state: ChainState, params: ChainParams, keys: readonly TestKey[] = [...VALIDATORS, OUTSIDER]): TestKey {
  for (const address of producerSchedule(state, params)) {
    const key = keys.find((k) => k.address === address);
    if (key !== undefined) return key;
  }
  throw new Error("no scheduled producer with a test key");
}

export function keyOf(address: Address): TestKey {
  const k = [...VALIDATORS, OUTSIDER].find((v) => v.address === address);
  if (k === undefined) throw new Error(`no test key for ${address}`);
  return k;
}

/** Sum of all balances. */
export function totalBalances(state: ChainState): bigint {
  let sum = 0n;
  for (const a of state.accounts.values()) sum += a.balance;
  return sum;
}

/** Every coin accounted for: balances, bonds held and coin burned. Must always equal the recorded supply. */
export function accountedCoin(state: ChainState): bigint {
  return totalBalances(state) + bondsHeld(state) + state.burned;
}
