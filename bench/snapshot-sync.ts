/**
 * Snapshot sync on the local runtime: a source node holds a chain whose
 * blocks opened 10,000 (100,000) accounts, 200 payments a block; a new node
 * in snapshot mode joins from it (POST /chain/sync), from the request until
 * its head is the source's: the manifest, every part fetched and checked, the
 * state installed, the few blocks after the snapshot replayed.
 * `network.replay_sync_seconds_*` is the same new node as an archive node,
 * replaying every block from genesis, for comparison.
 */
import { blockToWire } from "../core/block.ts";
import { genesisBlock } from "../core/genesis.ts";
import { sha256Hex } from "../core/hash.ts";
import { publicKeyFromSecret, secretFromSeedPhrase } from "../core/keys.ts";
import { utf8 } from "../core/encoding.ts";
import { buildBlock } from "../core/state-transition.ts";
import { createTx } from "../core/tx.ts";
import type { ChainState } from "../core/types.ts";
import { startLocalNode, type LocalNode } from "../testnet/local-node.ts";
import { paramsFor } from "../core/params.ts";
import type { BenchResult } from "./run.ts";

const PER_BLOCK = 200;

/** Blocks (wire) that pay `accounts` new addresses from one genesis validator, which also produces them. */
function accountChain(accounts: number): { key: string; wires: unknown[] } {
  const secret = secretFromSeedPhrase(`snapshot-bench-${accounts}`);
  const key = publicKeyFromSecret(secret);
  const params = paramsFor("doin-devnet", [key]);
  let state: ChainState = genesisBlock(params).state;
  const wires: unknown[] = [];
  for (let paid = 0; paid < accounts;) {
    const txs = [];
    for (let i = 0; i < PER_BLOCK && paid < accounts; i++) {
      paid++;
      txs.push(createTx("transfer", { to: sha256Hex(utf8(`snapshot-bench-account-${paid}`)).slice(0, 40), amount: 1n }, { secret, nonce: paid, network: params.network }));
    }
    const built = buildBlock(state, txs, params, { producerSecret: secret, timestamp: state.tipTimestamp + params.carrierIntervalMs });
    if (!built.ok || built.value.rejected.length > 0) throw new Error(built.ok ? `refused: ${built.value.rejected[0]?.error.message}` : built.error.message);
    state = built.value.state;
    wires.push(blockToWire(built.value.block));
  }
  return { key, wires };
}

async function post(url: string, path: string, body: unknown, token?: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const r = await fetch(`${url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token === undefined ? {} : { authorization: `Bearer ${token}` }) },
    body: JSON.stringify(body),
  });
  return { status: r.status, body: (await r.json()) as Record<string, unknown> };
}

async function tipOf(node: LocalNode): Promise<string> {
  return ((await (await fetch(`${node.url}/chain/status`)).json()) as { tip: string }).tip;
}

/**
 * Waits until the source has written its own D1 projection (100,000 accounts'
 * rows take minutes on this machine): the joins measure sync from an idle
 * peer, not a peer whose alarm competes for the same two cores. A busy peer
 * can answer a block request after the sync's 15 s timeout, and one source
 * is then all the sync has.
 */
async function projectionDone(source: LocalNode): Promise<void> {
  for (let i = 0; i < 2_400; i++) {
    const s = (await (await fetch(`${source.url}/chain/status`)).json()) as { outboxPending: number };
    if (s.outboxPending === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error("the source did not finish its D1 projection in 10 minutes");
}

/** Seconds for a new node (in `mode`) to reach the source's tip by POST /chain/sync. */
async function joinSeconds(source: LocalNode, vars: Record<string, string>, mode: "snapshot" | "archive", secret: string): Promise<number> {
  const late = await startLocalNode({ secret, vars: { ...vars, SYNC_MODE: mode }, timeoutMs: 120_000 });
  try {
    const start = performance.now();
    const r = await post(late.url, "/chain/sync", { peers: [source.url] }, late.token);
    const report = r.body as { error: string | null; snapshot?: { height: number } | null };
    if (r.status !== 200 || report.error !== null) throw new Error(`${mode} sync failed: ${JSON.stringify(report).slice(0, 500)}`);
    if (mode === "snapshot" && (report.snapshot ?? null) === null) throw new Error("the new node did not start from the snapshot");
    const seconds = (performance.now() - start) / 1000;
    if ((await tipOf(late)) !== (await tipOf(source))) throw new Error(`the ${mode} node did not reach the source's tip`);
    return seconds;
  } finally {
    await late.stop();
  }
}

export async function snapshotSyncBenchmarks(): Promise<BenchResult[]> {
  const out: BenchResult[] = [];
  for (const { label, accounts } of [
    { label: "10k", accounts: 10_000 },
    { label: "100k", accounts: 100_000 },
  ]) {
    const { key, wires } = accountChain(accounts);
    // the source offers the snapshot of its finalized block (a snapshot every 10 blocks)
    const vars = { GENESIS_VALIDATORS: key };
    const source = await startLocalNode({ secret: "61".repeat(32), vars: { ...vars, SNAPSHOT_INTERVAL: "10" }, timeoutMs: 120_000 });
    try {
      for (let i = 0; i < wires.length; i += 10) {
        const r = await post(source.url, "/chain/blocks/batch", { blocks: wires.slice(i, i + 10) });
        if (r.status !== 202 || r.body["accepted"] !== Math.min(10, wires.length - i)) throw new Error(`source refused blocks: ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`);
      }
      await projectionDone(source);
      const manifest = (await (await fetch(`${source.url}/chain/snapshot`)).json()) as { height: number; parts: unknown[] };
      const snapshot = await joinSeconds(source, vars, "snapshot", "62".repeat(32));
      const replay = await joinSeconds(source, vars, "archive", "63".repeat(32));
      out.push(
        {
          name: `network.snapshot_sync_seconds_${label}_accounts`,
          value: snapshot,
          unit: "s",
          note: `new node from a snapshot at height ${manifest.height} of ${wires.length} (${manifest.parts.length} parts), to the source's tip`,
        },
        { name: `network.replay_sync_seconds_${label}_accounts`, value: replay, unit: "s", note: `the same node replaying all ${wires.length} blocks of ${PER_BLOCK} payments from genesis` },
      );
    } finally {
      await source.stop();
    }
  }
  return out;
}
