/**
 * The optimae rules on a real testnet: 3 nodes, one runner process each. The
 * nodes do not optimize here (OPTIMIZE_DOMAINS is empty, the runners take
 * evaluate and inference jobs only), so the champion moves only through the
 * optimizers this test plays: outside accounts that sign their own
 * transactions and send them over HTTP, as any client of the network would.
 *
 * - the optimizers get their first coin from the testnet's faucet: every
 *   commit locks a bond;
 * - honest optimae are verified by the quorum's runners, each evaluator on
 *   data from its own seed, accepted and rewarded with coin and reputation,
 *   and their bonds come back;
 * - a false claim is rejected, costs its author 3× what an accepted
 *   optimae earns (exact, from a replay of the chain with core/), and its
 *   bond goes to the evaluators;
 * - a reveal that does not open its commit, and a copy of revealed
 *   parameters, are refused with 422 and gain nothing;
 * - a runner killed (SIGKILL) in the middle of an evaluate job loses nothing:
 *   its lease lapses, the restarted runner does the job, the vote lands;
 * - POST /inference runs the champion through a runner;
 * - coins are conserved over the whole chain.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bytesToHex } from "../../core/hex.ts";
import { addressFromPublicKey, publicKeyFromSecret } from "../../core/keys.ts";
import { FIXED_ONE, QUADRATIC_DOMAIN } from "../../core/params.ts";
import { decayedReputation } from "../../core/reputation.ts";
import { computeCommitment } from "../../core/tx.ts";
import type { Fixed, JsonValue } from "../../core/types.ts";
import { DEFAULT_CONFIG, encodeParams, performance, quantize, targetOf } from "../../plugins/quadratic/domain.ts";
import { toFixed } from "../../plugins/sdk.ts";
import { freeBasePort, startTestnet, type Testnet } from "../../testnet/harness.ts";
import { paramsFor } from "../../core/params.ts";
import { fromFaucet } from "../support/faucet.ts";
import { until } from "../support/until.ts";
import { Client as OutsideClient } from "./client.ts";
import { getJson as readJson, included as includedOn, roundsIn as roundsOn } from "./reads.ts";
import { replayChain } from "./replay.ts";

const NETWORK = "doin-devnet";
const SLOW_EVALUATE_MS = 4_000;
const dir = mkdtempSync(join(tmpdir(), "doin-optimae-"));
let net: Testnet;

beforeAll(async () => {
  // runner1 evaluates slowly (a plugin module that waits), so that it can be killed mid-job
  process.env["DOIN_SLOW_EVALUATE_MS"] = String(SLOW_EVALUATE_MS);
  net = await startTestnet({
    nodes: 3,
    dir,
    basePort: await freeBasePort(3),
    runners: true,
    extraVars: { OPTIMIZE_DOMAINS: "" },
    runnerArgs: (i) => ["--kinds", "evaluate,inference", "--lease-ms", "5000", "--poll-ms", "250", ...(i === 0 ? ["--plugin", "./test/testnet/fixtures/slow-quadratic.ts"] : [])],
  });
}, 180_000);

afterAll(async () => {
  await net?.stop();
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

// ---------------------------------------------------------------- HTTP
const url = (i = 0): string => (net.nodes[i] as { url: string }).url;
const context = () => net.logTail(20).join("\n");

const getJson = <T>(path: string, i = 0, headers: Record<string, string> = {}): Promise<T> => readJson<T>(url(i), path, headers);

interface AccountView {
  balance: string;
  nonce: number;
  reputation: string;
}
interface JobView {
  status: string;
  runner: string | null;
  attempts: number;
}

const account = (address: string) => getJson<AccountView>(`/chain/account/${address}`);
const included = (ids: readonly string[], what: string) => includedOn(url(), ids, what, context);
const roundsIn = (ids: readonly string[], statuses: readonly string[], what: string) => roundsOn(url(), ids, statuses, what, context);

// ---------------------------------------------------------------- an outside optimizer (it talks to node1)
class Client extends OutsideClient {
  constructor() {
    super(() => url(), NETWORK);
  }
}

interface Claim {
  readonly params: JsonValue;
  readonly reported: Fixed;
  readonly salt: string;
}

const target = targetOf(DEFAULT_CONFIG);

/** Honest parameters at a squared error of about `sse` from the network's target, and their true performance. */
function pointAt(sse: number): Claim {
  const step = Math.sqrt(sse / target.length);
  const x = quantize(target.map((t, i) => t + (i % 2 === 0 ? step : -step)));
  return { params: encodeParams(x), reported: toFixed(performance(x, target)), salt: bytesToHex(randomBytes(16)) };
}

async function commit(c: Client, claim: Claim): Promise<string> {
  const commitment = computeCommitment({ domain: "quadratic", params: claim.params, salt: claim.salt, reported: claim.reported, optimizer: c.pub });
  const r = await c.send("commit", { domain: "quadratic", commitment });
  expect(r.status).toBe(202);
  return r.id;
}

function accept(c: Client, optimae: string, round: number) {
  return c.send("accept", {
    optimae,
    experimentId: `outside.${c.address.slice(0, 8)}`,
    roundNumber: round,
    timeToResultSeconds: round,
    optimizationConfigHash: "11".repeat(32),
    dataHash: "22".repeat(32),
  });
}

describe("optimae on a testnet with runners", () => {
  it("honest work is accepted and rewarded, a false claim costs 3×, bad reveals and copies are refused, a killed runner loses nothing, coins are conserved", async () => {
    const alice = new Client();
    const node1 = addressFromPublicKey((net.nodes[0] as { publicKey: string }).publicKey);
    const BOND = QUADRATIC_DOMAIN.bond;
    const funded = await fromFaucet(url(), alice.address);

    // ---- 1. four honest optimae, each better than the one before
    const claims = [400, 200, 100, 50].map(pointAt);
    const commits: string[] = [];
    for (const claim of claims) commits.push(await commit(alice, claim));
    await included(commits, "alice's commits on chain");
    const reveals: string[] = [];
    for (const [k, claim] of claims.entries()) {
      const r = await alice.send("reveal", { commit: commits[k] as string, params: claim.params, salt: claim.salt, reported: claim.reported });
      expect(r.status).toBe(202);
      reveals.push(r.id);
    }
    const verdicts = await roundsIn(reveals, ["accepted", "rejected", "expired"], "verdicts on alice's four optimae");
    for (const r of verdicts) {
      expect(r.status).toBe("accepted");
      expect(r.votes).toHaveLength(3);
      // every evaluator scored on data from its own seed
      expect(new Set(r.votes.map((v) => v.dataHash)).size).toBe(3);
      expect(r.quorum).not.toContain(alice.address);
    }
    const accepts: string[] = [];
    for (const [k, optimae] of reveals.entries()) {
      const r = await accept(alice, optimae, k + 1);
      expect(r.status).toBe(202);
      accepts.push(r.id);
    }
    await roundsIn(reveals, ["claimed"], "alice's optimae claimed");
    const champion = await until("alice's best as the champion", async () => {
      const c = (await getJson<{ domain: string; optimizer: string; optimae: string; performance: string }[]>("/chain/champions")).find((x) => x.domain === "quadratic");
      return c?.optimae === reveals[3] ? c : undefined;
    }, { timeoutMs: 30_000, everyMs: 300, context });
    expect(champion).toMatchObject({ optimizer: alice.address, optimae: reveals[3] });
    // her four bonds came back and a work block paid her on top
    const rewarded = await until("a work block paying alice", async () => {
      const a = await account(alice.address);
      return BigInt(a.balance) > funded ? a : undefined;
    }, { timeoutMs: 60_000, everyMs: 500, context });
    expect(BigInt(rewarded.reputation)).toBeGreaterThan((39n * FIXED_ONE) / 10n); // 4 × 1.0, barely decayed

    // ---- 2. inference on node2: the champion (alice's params, once node2 has the block) through its runner
    await until("node2 holding alice's champion", async () => {
      const c = (await getJson<{ domain: string; optimae: string }[]>("/chain/champions", 1)).find((x) => x.domain === "quadratic");
      return c?.optimae === reveals[3] ? true : undefined;
    }, { timeoutMs: 60_000, everyMs: 300, context });
    const asked = await fetch(`${url(1)}/inference`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ domain: "quadratic", input: { target } }) });
    expect(asked.status).toBe(202);
    const jobId = ((await asked.json()) as { jobId: string }).jobId;
    const view = await until("the inference result", async () => {
      const v = await getJson<{ status: string; error: string | null; result: { output: { loss: number }; model: { source: string } } | null }>(`/inference/${jobId}`, 1);
      return v.status === "pending" || v.status === "leased" ? undefined : v;
    }, { timeoutMs: 30_000, everyMs: 300, context });
    expect(view).toMatchObject({ status: "done", error: null });
    expect(view.result?.model.source).toBe("champion");
    expect(view.result?.output.loss).toBeCloseTo(-Number(claims[3]?.reported) / 1e6, 5);

    // ---- 3. a false claim, evaluated while node1's runner is killed mid-job
    const before = await account(alice.address);
    const liar: Claim = { ...pointAt(300), reported: -1n * FIXED_ONE };
    const lieCommit = await commit(alice, liar);
    await included([lieCommit], "the false claim's commit on chain");
    const lie = await alice.send("reveal", { commit: lieCommit, params: liar.params, salt: liar.salt, reported: liar.reported });
    expect(lie.status).toBe(202);
    const job = `/tasks/${encodeURIComponent(`evaluate:${lie.id}:${node1}`)}`;
    const auth = { authorization: `Bearer ${net.token}` };
    await until("runner1 holding node1's evaluate job", async () => {
      const j = await getJson<JobView>(job, 0, auth);
      return j.status === "leased" && j.runner === "runner1" ? true : undefined;
    }, { timeoutMs: 60_000, everyMs: 100, context });
    await net.killRunner(0);
    expect((await getJson<JobView>(job, 0, auth)).status).toBe("leased"); // no release, no result: a crash
    net.startRunner(0);
    const [rejected] = await roundsIn([lie.id], ["accepted", "rejected", "expired"], "the false claim's verdict");
    expect(rejected?.status).toBe("rejected");
    expect(rejected?.votes.map((v) => v.evaluator)).toContain(node1); // the killed runner's job was done after all
    const redone = await getJson<JobView>(job, 0, auth);
    expect(redone).toMatchObject({ status: "done", runner: "runner1" });
    expect(redone.attempts).toBeGreaterThanOrEqual(1);
    // read until the head carries the verdict (a fork at the tip may briefly show a head without it)
    const after = await until("alice's penalty on node1's head", async () => {
      const a = await account(alice.address);
      return BigInt(before.reputation) - BigInt(a.reputation) > (29n * FIXED_ONE) / 10n ? a : undefined;
    }, { timeoutMs: 30_000, everyMs: 300, context });
    const lost = BigInt(before.reputation) - BigInt(after.reputation);
    expect(lost).toBeLessThanOrEqual((31n * FIXED_ONE) / 10n);
    // a rejected optimae earns nothing, and its bond went to the evaluators who did the work
    expect(BigInt(after.balance)).toBe(BigInt(before.balance) - BOND);

    // ---- 4. a reveal that does not open its commit; a copy of revealed params
    const next = pointAt(30);
    const open = await commit(alice, next);
    await included([open], "alice's fifth commit on chain");
    const mismatch = await alice.send("reveal", { commit: open, params: next.params, salt: next.salt, reported: next.reported + 1n });
    expect(mismatch).toMatchObject({ status: 422, code: "REVEAL_MISMATCH" });
    const mallory = new Client();
    const malloryFunds = await fromFaucet(url(), mallory.address);
    const copied = claims[3] as Claim; // alice's revealed best
    const copyCommit = await commit(mallory, copied);
    await included([copyCommit], "mallory's commit on chain");
    const copy = await mallory.send("reveal", { commit: copyCommit, params: copied.params, salt: copied.salt, reported: copied.reported });
    expect(copy).toMatchObject({ status: 422, code: "DUPLICATE_PARAMS" });
    for (const id of [mismatch.id, copy.id]) expect((await fetch(`${url()}/tx/${id}`)).status).toBe(404);
    // the copy gained nothing: its bond stays locked until the commit expires unrevealed (then it is burned)
    expect(await account(mallory.address)).toMatchObject({ balance: String(malloryFunds - BOND), reputation: "0" });

    // ---- 5. the whole chain replayed with core/: same tip, coins conserved, reputation steps exact
    // up to a height that is final (a tip fork cannot change it any more) and past every step above
    // (no round is open any more, so blocks come only with transactions: alice's small transfers make them)
    const seen = (await getJson<{ height: number }>("/chain/status")).height;
    const sink = addressFromPublicKey(publicKeyFromSecret(randomBytes(32)));
    let nudged = 0;
    const status = await until(`height ${seen} final on node1`, async () => {
      const s = await getJson<{ finalizedHeight: number }>("/chain/status");
      if (s.finalizedHeight < seen) {
        if (Date.now() - nudged > 2_500) {
          nudged = Date.now();
          await alice.send("transfer", { to: sink, amount: 1n });
        }
        return undefined;
      }
      return { height: seen, tip: (await getJson<{ hash: string }>(`/chain/block/${seen}`)).hash };
    }, { timeoutMs: 90_000, everyMs: 500, context });
    const params = paramsFor(NETWORK, net.nodes.map((n) => n.publicKey), [], net.genesisTime);
    // alice's reputation steps, block by block, with the accepts she had in each block
    const steps: { delta: bigint; accepts: number }[] = [];
    const { state } = await replayChain(url(), params, status.height, (block, prev, next) => {
      const was = prev.accounts.get(alice.address);
      const now = next.accounts.get(alice.address);
      if (now === undefined) return;
      const t = block.header.timestamp;
      const delta = decayedReputation(now, t, params) - (was === undefined ? 0n : decayedReputation(was, t, params));
      const acceptsHere = block.txs.filter((t) => t.kind === "accept" && t.from === alice.pub).length;
      if (delta !== 0n || acceptsHere > 0) steps.push({ delta, accepts: acceptsHere });
    });
    expect(state.tipHash).toBe(status.tip);
    // each accepted optimae: exactly +1.0; the false claim: exactly −3.0 (from ≈ 4, above the floor of 0)
    const gains = steps.filter((x) => x.accepts > 0);
    expect(gains.reduce((n, x) => n + x.accepts, 0)).toBe(4);
    for (const g of gains) expect(g.delta).toBe(BigInt(g.accepts) * FIXED_ONE);
    expect(steps.filter((x) => x.accepts === 0).map((x) => x.delta)).toEqual([-3n * FIXED_ONE]);
    expect(state.accounts.get(mallory.address)?.balance ?? 0n).toBe(malloryFunds - BOND);
    // the false claim's bond was paid to the evaluators that agreed on its verdict
    const lieRound = state.rounds.get(lie.id);
    if (lieRound !== undefined) expect(lieRound.status).toBe("rejected");
  }, 420_000);
});
