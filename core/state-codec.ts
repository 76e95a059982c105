/**
 * ChainState ⇄ JSON text, for storage (a node persists the state after each
 * block). Maps become sorted entry arrays, bigints decimal strings; reading
 * restores the exact types. Only this node reads what it wrote, so the
 * reader trusts the shape.
 */
import type { Encodable } from "./encoding.ts";
import { canonicalJson } from "./encoding.ts";
import type { Account, ChainState, Champion, CommitRecord, DifficultyState, Round, Vote } from "./types.ts";

type Raw = Record<string, unknown>;

function entries<K extends string | number, V>(m: ReadonlyMap<K, V>): [K, V][] {
  return [...m.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

export function encodeState(state: ChainState): string {
  return canonicalJson({
    ...state,
    accounts: entries(state.accounts),
    champions: entries(state.champions),
    commits: entries(state.commits),
    rounds: entries(state.rounds),
    revealedParams: entries(state.revealedParams),
    pending: { work: state.pending.work, optimizers: entries(state.pending.optimizers), evaluators: entries(state.pending.evaluators) },
    anchors: entries(state.anchors),
    checkpoints: entries(state.checkpoints),
    recentBeacons: entries(state.recentBeacons),
  } as unknown as Encodable);
}

const big = (v: unknown): bigint => BigInt(v as string);

function account(r: Raw): Account {
  return {
    balance: big(r["balance"]),
    nonce: r["nonce"] as number,
    reputation: big(r["reputation"]),
    reputationTime: r["reputationTime"] as number,
    lastActiveTime: r["lastActiveTime"] as number,
  };
}

function champion(r: Raw): Champion {
  return {
    performance: big(r["performance"]),
    optimae: r["optimae"] as Champion["optimae"],
    optimizer: r["optimizer"] as Champion["optimizer"],
    params: r["params"] as Champion["params"],
    height: r["height"] as number,
  };
}

function round(r: Raw): Round {
  return {
    ...(r as unknown as Round),
    reported: big(r["reported"]),
    bond: big(r["bond"]),
    verified: r["verified"] === null ? null : big(r["verified"]),
    votes: (r["votes"] as Raw[]).map((v): Vote => ({ evaluator: v["evaluator"] as string, performance: big(v["performance"]), dataHash: v["dataHash"] as string })),
  };
}

function difficulty(r: Raw): DifficultyState {
  return {
    threshold: big(r["threshold"]),
    emaBlockTimeMs: big(r["emaBlockTimeMs"]),
    lastWorkTimestamp: r["lastWorkTimestamp"] as number,
    epochStartTimestamp: r["epochStartTimestamp"] as number,
    blocksInEpoch: r["blocksInEpoch"] as number,
  };
}

function map<K, V, R>(v: unknown, f: (x: R) => V): Map<K, V> {
  return new Map((v as [K, R][]).map(([k, x]) => [k, f(x)]));
}

export function decodeState(text: string): ChainState {
  const r = JSON.parse(text) as Raw;
  const pending = r["pending"] as Raw;
  return {
    network: r["network"] as string,
    height: r["height"] as number,
    tipHash: r["tipHash"] as string,
    tipTimestamp: r["tipTimestamp"] as number,
    cumulativeWork: big(r["cumulativeWork"]),
    supply: big(r["supply"]),
    burned: big(r["burned"]),
    beacon: r["beacon"] as string,
    mintedBlocks: r["mintedBlocks"] as number,
    accounts: map(r["accounts"], account),
    champions: map(r["champions"], champion),
    commits: map(r["commits"], (x: Raw): CommitRecord => ({ ...(x as unknown as CommitRecord), bond: big(x["bond"]) })),
    rounds: map(r["rounds"], round),
    revealedParams: map(r["revealedParams"], (x: string) => x),
    difficulty: difficulty(r["difficulty"] as Raw),
    pending: { work: big(pending["work"]), optimizers: map(pending["optimizers"], big), evaluators: map(pending["evaluators"], (x: number) => x) },
    anchors: map(r["anchors"], (x: string) => x),
    checkpoints: map(r["checkpoints"], (x: string) => x),
    recentBeacons: map(r["recentBeacons"], (x: string) => x),
  };
}
