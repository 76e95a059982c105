/**
 * The state root per block: a block that changed 100 accounts, in states of
 * 1,000 to 1,000,000 accounts. What is timed is what the state transition
 * does for the accounts and the root: read and write the 100 accounts
 * through the block's working copy, then core/state-root.ts commitState
 * (the changed accounts' keys and value hashes, the meta leaf, the tree's
 * paths from them up to the root), on states whose trees are already built, in CPU time (other
 * processes on the machine do not count; this one's collector does). The sizes are measured in
 * interleaved rounds (each round one block at every size) so that a busy
 * machine slows them alike; the ratio 1m ÷ 1k is the median of the rounds'
 * ratios (floor 3: O(changes · log N), not O(N)).
 *
 * Also the memory one account takes in a node's state (tree and values), the
 * figure that bounds how many accounts one Durable Object carries, and the
 * validator set every block reads (producers and quorum candidates): from the
 * accounts with reputation, which the state keeps apart (one in 1,000 here),
 * not from a scan of every account.
 */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { AccountOverlay } from "../core/account-map.ts";
import { genesisBlock } from "../core/genesis.ts";
import { devnetParams } from "../core/params.ts";
import { validatorSet } from "../core/schedule.ts";
import { commitState, withTree, type StateDraft } from "../core/state-root.ts";
import type { Account, ChainState } from "../core/types.ts";
import type { BenchResult } from "./run.ts";

const CHANGED = 100;
const SIZES = [
  { label: "1k", n: 1_000 },
  { label: "10k", n: 10_000 },
  { label: "100k", n: 100_000 },
  { label: "1m", n: 1_000_000 },
] as const;
const ROUNDS = 101;

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

const addressOf = (i: number) => i.toString(16).padStart(40, "0");

/** A state of `n` accounts (plus genesis's), its tree built. */
function stateWith(n: number): ChainState {
  const g = genesisBlock(devnetParams()).state;
  const accounts = new Map(g.accounts);
  for (let i = 0; i < n; i++) {
    const reputation = i % 1000 === 0 ? 3_000_000n : 0n;
    accounts.set(addressOf(i), { balance: BigInt(1_000_000 + i), nonce: i % 1000, reputation, reputationTime: 0, lastActiveTime: -1 });
  }
  return withTree({ ...g, accounts });
}

/** One block's commitment: 100 accounts paid (spread over the state by a stride), the height moved. Returns the new state and the CPU ms taken. */
function block(s: ChainState, n: number, k: number): { next: ChainState; ms: number } {
  const draft: StateDraft = { ...s, height: s.height + 1, tipTimestamp: s.tipTimestamp + 2_000 };
  const start = process.cpuUsage();
  // as the transition does: the block's accounts over the parent's, then the commitment
  const accounts = new AccountOverlay(s.accounts);
  for (let j = 0; j < CHANGED; j++) {
    const address = addressOf(((k * CHANGED + j) * 7_919) % n);
    const a = accounts.get(address) as Account;
    accounts.set(address, { ...a, balance: a.balance + 1n, nonce: a.nonce + 1 });
  }
  const committed = commitState(s, draft, accounts);
  const used = process.cpuUsage(start);
  const ms = (used.user + used.system) / 1000;
  return { next: { ...draft, ...committed }, ms };
}

export async function stateRootBenchmarks(): Promise<BenchResult[]> {
  const states: ChainState[] = [];
  const buildSeconds: number[] = [];
  let bytesPerAccount = 0;
  for (const { n } of SIZES) {
    gc();
    const before = process.memoryUsage().heapUsed;
    const t = performance.now();
    states.push(stateWith(n));
    buildSeconds.push((performance.now() - t) / 1000);
    gc();
    if (n === 100_000) bytesPerAccount = (process.memoryUsage().heapUsed - before) / n;
  }
  // warm-up: every size once
  SIZES.forEach(({ n }, i) => {
    states[i] = block(states[i] as ChainState, n, 0).next;
  });
  const times: number[][] = SIZES.map(() => []);
  const ratios: number[] = [];
  for (let r = 1; r <= ROUNDS; r++) {
    const round: number[] = [];
    SIZES.forEach(({ n }, i) => {
      const { next, ms } = block(states[i] as ChainState, n, r);
      states[i] = next;
      (times[i] as number[]).push(ms);
      round.push(ms);
    });
    ratios.push((round[SIZES.length - 1] as number) / (round[0] as number));
  }
  const params = devnetParams();
  const scans: number[][] = SIZES.map(() => []);
  for (let r = 0; r < 5; r++) {
    SIZES.forEach((_, i) => {
      const s = states[i] as ChainState;
      const start = process.cpuUsage();
      validatorSet(s.accounts, params, s.tipTimestamp);
      const used = process.cpuUsage(start);
      (scans[i] as number[]).push((used.user + used.system) / 1000);
    });
  }
  return [
    ...SIZES.map(({ label, n }, i) => ({
      name: `core.state_root_ms_${label}_accounts`,
      value: median(times[i] as number[]),
      unit: "ms",
      note: `CPU per block with ${CHANGED} changed accounts, ${n.toLocaleString("en-US")} accounts (median of ${ROUNDS}; the tree built once in ${(buildSeconds[i] as number).toFixed(1)} s)`,
    })),
    {
      name: "core.state_root_ratio_1m_to_1k",
      value: median(ratios),
      unit: "ratio",
      note: "per-block root at 1,000,000 accounts ÷ at 1,000, median of interleaved rounds; floor 3 (ceiling: the root must not grow with the state)",
    },
    { name: "core.state_bytes_per_account", value: bytesPerAccount, unit: "bytes", note: "JS heap per account in a state of 100,000 (tree nodes, leaf, value)" },
    ...[0, SIZES.length - 1].map((i) => ({
      name: `core.validator_set_ms_${(SIZES[i] as (typeof SIZES)[number]).label}_accounts`,
      value: median(scans[i] as number[]),
      unit: "ms",
      note: `CPU for validatorSet (every block reads it), ${(SIZES[i] as (typeof SIZES)[number]).n / 1000} of the accounts reputable: it reads those, not every account`,
    })),
  ];
}
