/**
 * A testnet folder's identity, kept in `<dir>/testnet.json`: the seed the
 * node keys derive from, the runners' token, the genesis time, the layout
 * and node count, and the genesis hash its chains were built on. A folder
 * holding another node count or another protocol's genesis is refused; one
 * holding another layout is warned about (its chains are not read).
 */
import { createHash, randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { hexToBytes } from "../core/hex.ts";
import { publicKeyFromSecret } from "../core/keys.ts";
import type { TestnetNode } from "./types.ts";

export const LAYOUT = { shared: "miniflare-shared", isolated: "miniflare-isolated" } as const;
export type Layout = (typeof LAYOUT)[keyof typeof LAYOUT];

export interface Meta {
  seed: string;
  /** the network's genesis timestamp (ms): its creation time; reputation decays from there */
  genesisTime?: number;
  token: string;
  layout?: string;
  nodes?: number;
  /** the genesis hash the chains under `dir` were built on */
  genesis?: string;
}

/**
 * Node i's NODE_SECRET (64 hex) in a testnet folder whose testnet.json holds
 * `seed`: reproducible, so that `doin key import --testnet-node` can hold a
 * local validator's key. Test networks only: anyone with the folder has the keys.
 */
export function testnetNodeSecret(seed: string, index: number): string {
  return createHash("sha256").update(`DOIN/testnet/${seed}/${index}`).digest("hex");
}

/** The seed kept in a testnet folder's testnet.json, or null when there is no testnet there. */
export function testnetSeed(dir: string): string | null {
  try {
    const meta = JSON.parse(readFileSync(join(dir, "testnet.json"), "utf8")) as { seed?: unknown };
    return typeof meta.seed === "string" ? meta.seed : null;
  } catch {
    return null;
  }
}

const metaPathOf = (dir: string): string => join(dir, "testnet.json");

/**
 * Reads the folder's identity (or makes a new one), warns about state it will
 * not read, refuses another node count, and writes the identity back. `dir`
 * exists. Answers the identity and what the folder held before.
 */
export function openIdentity(opts: { readonly dir: string; readonly nodes: number; readonly layout: Layout; readonly runnerToken?: string | undefined; readonly genesisTime?: number | undefined }): {
  meta: Meta;
  previous: Meta | undefined;
} {
  const metaPath = metaPathOf(opts.dir);
  const previous = existsSync(metaPath) ? (JSON.parse(readFileSync(metaPath, "utf8")) as Meta) : undefined;
  if (previous !== undefined && previous.layout === undefined && existsSync(join(opts.dir, "node1"))) {
    console.warn(`${opts.dir}: state from the older wrangler-dev launcher is not read (same identities, empty chains); pass --clean to start afresh`);
  } else if (previous?.layout !== undefined && previous.layout !== opts.layout) {
    console.warn(`${opts.dir} holds a ${previous.layout} testnet; this ${opts.layout} one starts with empty chains (same identities)`);
  }
  if (previous?.nodes !== undefined && previous.nodes !== opts.nodes) {
    throw new Error(
      `${opts.dir} holds a ${previous.nodes}-node network (every node is a genesis validator: the count is part of the genesis); ` +
        `start it with ${previous.nodes} nodes, or clean it for a new ${opts.nodes}-node network`,
    );
  }
  const meta: Meta = {
    seed: previous?.seed ?? randomBytes(16).toString("hex"),
    // a stored chain keeps its genesis time; a new network starts now (whole seconds)
    genesisTime: previous?.genesisTime ?? opts.genesisTime ?? Math.floor(Date.now() / 1000) * 1000,
    token: opts.runnerToken ?? previous?.token ?? randomBytes(16).toString("hex"),
    layout: opts.layout,
    nodes: opts.nodes,
  };
  writeFileSync(metaPath, `${JSON.stringify(meta, null, 2)}\n`);
  return { meta, previous };
}

/**
 * Refuses chains stored under `dir` by another version of the protocol (the
 * genesis commits to every protocol parameter), then records `genesis`.
 */
export function recordGenesis(dir: string, meta: Meta, previous: Meta | undefined, genesis: string): void {
  const stateThere = existsSync(join(dir, "state")) || existsSync(join(dir, "node1"));
  if (stateThere && previous !== undefined && previous.genesis !== genesis) {
    throw new Error(
      `${dir} holds chains made by another version of the protocol (genesis ${previous.genesis?.slice(0, 12) ?? "unrecorded"}, ` +
        `this version's is ${genesis.slice(0, 12)}): start it with --clean for a new network`,
    );
  }
  writeFileSync(metaPathOf(dir), `${JSON.stringify({ ...meta, genesis }, null, 2)}\n`);
}

/** The nodes: node i is `node<i+1>`, listens on basePort + i, holds the key testnetNodeSecret(seed, i) and keeps its state under persistOf(i). */
export function testnetNodes(seed: string, count: number, basePort: number, persistOf: (i: number) => string): TestnetNode[] {
  return Array.from({ length: count }, (_, i) => {
    const secretHex = testnetNodeSecret(seed, i);
    return {
      index: i,
      name: `node${i + 1}`,
      url: `http://127.0.0.1:${basePort + i}`,
      port: basePort + i,
      publicKey: publicKeyFromSecret(hexToBytes(secretHex)),
      secretHex,
      dir: persistOf(i),
    };
  });
}
