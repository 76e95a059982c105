/**
 * `doin` against a live testnet (2 nodes, one runner process each that
 * evaluates; the nodes themselves do not optimize, so every optimae here is
 * the command's own), run as a user runs it: the bin script in its own
 * process, keys in a keystore folder.
 *
 * - keys: a genesis validator's secret imported, two new keys;
 * - transfer: validator → alice → bob, each waited for until final
 *   (`finalizedHeight` ≥ its block), the balances exact;
 * - reading: status, balance, tx, block, champion, rounds, follow;
 * - bad input: too little balance, unknown address, unknown tx, a node
 *   that is down, malformed amounts: one line, the right exit code;
 * - optimize: alice, a key with no node, runs the sphere example plugin and
 *   gets optimae accepted, claimed (the champion) and rewarded in work
 *   blocks, exactly what the chain paid her, across a crash of the command
 *   right after a commit (the next run resumes it); the Python worker runs
 *   rounds over the external-process protocol; a key without coin is told
 *   to fund itself.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hexToBytes } from "../../core/hex.ts";
import { addressFromPublicKey, publicKeyFromSecret } from "../../core/keys.ts";
import { COIN_UNIT } from "../../core/params.ts";
import { createTx, txToWire } from "../../core/tx.ts";
import { freeBasePort, startTestnet, type Testnet } from "../../testnet/harness.ts";
import { doin, doinUntil, failureLine, type DoinRun } from "./run-doin.ts";

const SPHERE = fileURLToPath(new URL("../../plugins/examples/sphere", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "doin-cli-"));
const keystore = join(dir, "keys");
let net: Testnet;
let env: Record<string, string>;

beforeAll(async () => {
  net = await startTestnet({
    nodes: 2,
    dir: join(dir, "testnet"),
    basePort: await freeBasePort(2),
    runners: true,
    pluginPackages: [SPHERE],
    extraVars: { OPTIMIZE_DOMAINS: "" },
    runnerArgs: ["--kinds", "evaluate,inference", "--poll-ms", "250"],
  });
  env = { DOIN_NODE: url(), DOIN_KEYSTORE: keystore, DOIN_PASSPHRASE: "correct horse battery", DOIN_DEBUG: undefined as unknown as string };
}, 180_000);

afterAll(async () => {
  stopNudging();
  await net?.stop();
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

const url = (i = 0): string => (net.nodes[i] as { url: string }).url;
const run = (...args: string[]): Promise<DoinRun> => doin(args, env);
const one = <T>(r: DoinRun): T => {
  if (r.code !== 0) throw new Error(`doin exited ${r.code}:\n${r.stderr}\n${r.stdout}`);
  return r.json[r.json.length - 1] as T;
};
const account = async (address: string) => (await (await fetch(`${url()}/chain/account/${address}`)).json()) as { balance: string; nonce: number };

// Blocks come with activity: while a transfer waits for its confirmations, node2's validator
// sends itself a transfer every 2 s (as the other testnet tests nudge the chain).
let nudger: ReturnType<typeof setInterval> | undefined;
function startNudging(): void {
  const secret = hexToBytes((net.nodes[1] as { secretHex: string }).secretHex);
  const me = addressFromPublicKey(publicKeyFromSecret(secret));
  let nonce: number | null = null;
  let busy = false;
  nudger = setInterval(() => {
    if (busy) return;
    busy = true;
    void (async () => {
      nonce ??= (await account(me)).nonce;
      const tx = createTx("transfer", { to: me, amount: 1n }, { secret, nonce: nonce + 1, network: "doin-devnet" });
      const r = await fetch(`${url(1)}/tx`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(txToWire(tx)) });
      if (r.status === 202) nonce++;
      else nonce = null;
    })()
      .catch(() => (nonce = null))
      .finally(() => (busy = false));
  }, 2_000);
}
function stopNudging(): void {
  if (nudger !== undefined) clearInterval(nudger);
}

interface KeyOut {
  name: string;
  address: string;
  publicKey: string;
}
interface TransferOut {
  id: string;
  status: string;
  height: number;
  confirmations: number;
  final: boolean;
  fee: string;
}

describe("doin against a live testnet", () => {
  const keys: Record<string, KeyOut> = {};

  it("keys: imports a genesis validator's secret and creates new keys", async () => {
    // node2's secret as `doin deploy init` writes secrets (JSON with NODE_SECRET)
    const secretFile = join(dir, "node2.json");
    writeFileSync(secretFile, JSON.stringify({ NODE_SECRET: (net.nodes[1] as { secretHex: string }).secretHex, RUNNER_TOKEN: net.token }), { mode: 0o600 });
    const made = await Promise.all([
      run("key", "import", "validator", "--testnet-node", "1", "--testnet-dir", join(dir, "testnet"), "--kdf-cost", "12", "--json"),
      run("key", "import", "node2", "--secret-file", secretFile, "--kdf-cost", "12", "--json"),
      ...["alice", "bob", "carol"].map((name) => run("key", "new", name, "--kdf-cost", "12", "--json")),
    ]);
    for (const r of made) {
      const k = one<KeyOut>(r);
      keys[k.name] = k;
    }
    expect(keys["validator"]?.publicKey).toBe((net.nodes[0] as { publicKey: string }).publicKey);
    expect(keys["node2"]?.publicKey).toBe((net.nodes[1] as { publicKey: string }).publicKey);
    const listed = one<KeyOut[]>(await run("key", "list", "--json"));
    expect(listed.map((k) => k.name).sort()).toEqual(["alice", "bob", "carol", "node2", "validator"]);
    // never a secret unless asked
    for (const n of net.nodes) expect(JSON.stringify(listed)).not.toContain(n.secretHex);
  });

  it("status: the network, its finality and that its rounds can be decided", async () => {
    const s = one<{ chain: { network: string; height: number; finalizedHeight: number }; quorum: { evaluators: number; problem: string | null } }>(await run("status", "--json"));
    expect(s.chain.network).toBe("doin-devnet");
    expect(s.quorum).toMatchObject({ evaluators: 2, problem: null });
    expect((await run("status")).stdout).toMatch(/quorum +ok: 2 accounts may evaluate/);
  });

  it("transfer: moves coin between keys and waits until the block is final; the balances are exact", async () => {
    startNudging();
    // the validator funds alice (--wait included: in a block is enough here)
    const funded = one<TransferOut>(await run("transfer", "--from", "validator", "--to", "alice", "--amount", "25", "--wait", "included", "--json"));
    expect(funded).toMatchObject({ status: "included" });
    expect((await account(keys["alice"]?.address as string)).balance).toBe(String(25n * COIN_UNIT));

    // alice → bob by key name, an explicit fee, waited for until final; the progress counts the confirmations
    const human = await run("transfer", "--from", "alice", "--to", "bob", "--amount", "1.5", "--fee", "0.001");
    expect(human.code).toBe(0);
    const [, height] = /^final at height (\d+)/m.exec(human.stdout) ?? [];
    expect(human.stderr).toMatch(/included at height \d+ · \d\/6 confirmations/);
    const chain = (await (await fetch(`${url()}/chain/status`)).json()) as { finalizedHeight: number };
    expect(chain.finalizedHeight).toBeGreaterThanOrEqual(Number(height));
    expect((await account(keys["bob"]?.address as string)).balance).toBe("150000000");
    expect((await account(keys["alice"]?.address as string)).balance).toBe(String(25n * COIN_UNIT - 150_000_000n - 100_000n));

    const id = /^transaction ([0-9a-f]{64})$/m.exec(human.stdout)?.[1] as string;
    const t = one<{ status: string; height: number; final: boolean; confirmations: number }>(await run("tx", id, "--json"));
    expect(t).toMatchObject({ status: "included", height: Number(height), final: true });
    expect(t.confirmations).toBeGreaterThanOrEqual(6);
    const b = one<{ balance: string; balanceDOIN: string; nonce: number }>(await run("balance", keys["bob"]?.address as string, "--json"));
    expect(b).toMatchObject({ balance: "150000000", balanceDOIN: "1.5", nonce: 0 });
    // the same balance proven against the state root of the node's finalized block, and against a block named by hash
    const proven = one<{ balance: string; proven: { height: number; block: string } }>(await run("balance", keys["bob"]?.address as string, "--prove", "--json"));
    expect(proven.balance).toBe("150000000");
    const atFinal = (await (await fetch(`${url()}/chain/block/${proven.proven.height}`)).json()) as { hash: string };
    expect(proven.proven.block).toBe(atFinal.hash);
    const pinned = one<{ balance: string; proven: { block: string } }>(await run("balance", keys["bob"]?.address as string, "--prove", "--block", atFinal.hash, "--json"));
    expect(pinned).toMatchObject({ balance: "150000000", proven: { block: atFinal.hash } });
    const unknownBlock = await run("balance", keys["bob"]?.address as string, "--prove", "--block", "ab".repeat(32));
    expect(unknownBlock.code).toBe(6);
  }, 180_000);

  it("reads blocks, champions, rounds and follows new blocks", async () => {
    const status = (await (await fetch(`${url()}/chain/status`)).json()) as { height: number };
    const block2 = (await (await fetch(`${url()}/chain/block/2`)).json()) as { hash: string };
    const [byHeight, byHash, champions, sphere, rounds, followed] = await Promise.all([
      run("block", "2", "--json"),
      run("block", block2.hash, "--json"),
      run("champion", "--json"),
      run("champion", "sphere", "--json"),
      run("rounds", "--json"),
      run("follow", "--from", "1", "--count", "3", "--json"),
    ]);
    expect(one<{ hash: string; header: { height: number } }>(byHeight)).toMatchObject({ hash: block2.hash, header: { height: 2 } });
    expect(one<{ hash: string }>(byHash).hash).toBe(block2.hash);
    expect(one<{ domain: string }[]>(champions).map((c) => c.domain).sort()).toEqual(["quadratic", "sphere"]);
    expect(one<{ domain: string; performance: string }>(sphere)).toMatchObject({ domain: "sphere", performance: "-100000000" });
    expect(one<unknown[]>(rounds)).toEqual([]);
    expect(followed.code).toBe(0);
    expect(followed.json.map((e) => (e as { header: { height: number } }).header.height)).toEqual([1, 2, 3]);
    // new blocks as they arrive: the next one after the head
    const live = await run("follow", "--count", "1", "--json", "--poll-ms", "200");
    expect((live.json[0] as { header: { height: number } }).header.height).toBeGreaterThan(status.height);
  }, 120_000);

  it("bad input: one line naming the node's code (or the argument) and what to do, and an exit code that says what failed", async () => {
    const down = `http://127.0.0.1:${await freeBasePort(1)}`;
    const amounts = ["1.2.3", "-1", "0", "0.000000001"];
    const [poor, unknownTo, unknownKey, unknownTx, json, ...rest] = await Promise.all([
      run("transfer", "--from", "bob", "--to", "alice", "--amount", "100"),
      run("transfer", "--from", "bob", "--to", "nobody", "--amount", "1"),
      run("transfer", "--from", "nobody", "--to", "alice", "--amount", "1"),
      run("tx", randomBytes(32).toString("hex")),
      // the same failure in --json: one JSON document with the code
      run("transfer", "--from", "bob", "--to", "alice", "--amount", "100", "--json"),
      ...amounts.map((amount) => run("transfer", "--from", "alice", "--to", "bob", `--amount=${amount}`)),
      run("status", "--node", down),
      run("transfer", "--from", "alice", "--to", "bob", "--amount", "1", "--node", down),
    ]);
    expect(poor.code).toBe(5);
    expect(failureLine(poor)).toMatch(/^doin: INSUFFICIENT_BALANCE: .* — fund the account first/);
    expect(unknownTo.code).toBe(2);
    expect(failureLine(unknownTo)).toMatch(/^doin: USAGE: --to: "nobody" is neither an address/);
    expect(unknownKey.code).toBe(3);
    expect(failureLine(unknownKey)).toMatch(/^doin: UNKNOWN_KEY: no key "nobody"/);
    expect(unknownTx.code).toBe(6);
    expect(failureLine(unknownTx)).toMatch(/^doin: NOT_FOUND: /);
    expect(json.code).toBe(5);
    expect(json.json).toEqual([{ error: expect.objectContaining({ code: "INSUFFICIENT_BALANCE", exit: 5 }) }]);
    for (const [i, amount] of amounts.entries()) {
      const r = rest[i] as DoinRun;
      expect(r.code, amount).toBe(2);
      expect(failureLine(r), amount).toMatch(/^doin: USAGE: amount: /);
    }
    for (const r of rest.slice(amounts.length)) {
      expect(r.code).toBe(4);
      expect(failureLine(r)).toMatch(/^doin: NODE_UNREACHABLE: cannot reach the node at .* — is it running\?/);
    }
  }, 120_000);

  it("optimize: a key without a node gets optimae of the sphere plugin accepted, claimed and rewarded on chain", async () => {
    const alice = keys["alice"]?.address as string;
    const before = BigInt((await account(alice)).balance);
    const args = ["optimize", "--domain", "sphere", "--key", "alice", "--plugin-package", SPHERE, "--improvements", "1", "--json", "--timeout", "120"];
    // a run that crashes (SIGKILL) right after its first commit: the journal keeps the optimae, the next run resumes it
    const committed = JSON.parse(await doinUntil(args, env, /"event":"commit"/)) as { commitment: string };
    const r = await run(...args);
    if (r.code !== 0) throw new Error(`optimize exited ${r.code}:\n${r.stderr}\n${r.stdout}`);
    const events = r.json as { event: string; [k: string]: unknown }[];
    expect(events.filter((e) => e.event === "resume")).toEqual([expect.objectContaining({ commitment: committed.commitment })]);
    const done = events.find((e) => e.event === "done") as unknown as { claimed: number; rewarded: number; reward: string; rewardPending: number; rounds: number };
    // the resumed optimae is claimed and (its work reaching the threshold at once) rewarded; no new round was needed
    expect(done).toMatchObject({ claimed: 1, rewarded: 1, rewardPending: 0, rounds: 0 });
    expect(events.filter((e) => e.event === "verdict")).toEqual([expect.objectContaining({ status: "accepted", votes: 2, quorum: 2 })]);

    // the chain agrees: alice holds the sphere champion, and was paid what the command reported
    const champion = one<{ optimizer: string; performance: string }>(await run("champion", "sphere", "--json"));
    expect(champion.optimizer).toBe(alice);
    expect(BigInt(champion.performance)).toBeGreaterThan(-100_000_000n);
    const rewards = events.filter((e) => e.event === "reward") as unknown as { height: number; amount: string }[];
    let paid = 0n;
    for (const { height } of rewards) {
      const b = (await (await fetch(`${url()}/chain/block/${height}`)).json()) as { coinbase: { to: string; amount: string; role: string }[] };
      paid += b.coinbase.filter((c) => c.to === alice && c.role === "optimizer").reduce((s, c) => s + BigInt(c.amount), 0n);
    }
    expect(paid).toBeGreaterThan(0n);
    expect(BigInt(done.reward)).toBe(paid);
    // her balance: the rewards (and evaluator-free fees' shares, none here) less what her transactions paid
    const after = BigInt((await account(alice)).balance);
    expect(after - before).toBeLessThanOrEqual(paid);
    expect(after - before).toBeGreaterThan(paid - COIN_UNIT / 10n);
  }, 240_000);

  it("optimize --external: rounds through the Python worker (JSON lines on stdio, batch_es scoring whole populations in evaluate_batch)", async () => {
    const r = await run("optimize", "--domain", "quadratic", "--external", "python3 gpu-runner/python/doin_worker.py", "--optimizer", "batch_es", "--rounds", "2", "--dry-run", "--json");
    if (r.code !== 0) throw new Error(`optimize --external exited ${r.code}:\n${r.stderr}\n${r.stdout}`);
    const events = r.json as { event: string; [k: string]: unknown }[];
    expect(events[0]).toMatchObject({ event: "start", optimizer: "batch_es", device: expect.stringMatching(/^external worker on cpu/), dryRun: true });
    const rounds = events.filter((e) => e.event === "round");
    expect(rounds).toHaveLength(2);
    // the champion is still the initial −1000: the worker's first claims beat it, and a dry run commits nothing
    expect(BigInt(rounds[0]?.["improvement"] as string)).toBeGreaterThan(0n);
    expect(rounds.every((e) => e["commit"] === false)).toBe(true);
    expect(events.some((e) => e.event === "commit")).toBe(false);
  }, 60_000);

  it("optimize: a key without coin is told to fund itself before anything is signed", async () => {
    const r = await run("optimize", "--domain", "sphere", "--key", "carol", "--plugin-package", SPHERE, "--improvements", "1");
    expect(r.code).toBe(5);
    expect(failureLine(r)).toMatch(/^doin: INSUFFICIENT_BALANCE: .* holds 0 DOIN; an optimae needs .* — fund it: doin transfer/);
    expect((await account(keys["carol"]?.address as string)).nonce).toBe(0);
  }, 60_000);
});
