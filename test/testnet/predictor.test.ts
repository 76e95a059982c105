/**
 * The predictor domain on a real testnet: 3 nodes that optimize only the
 * predictor, one runner process each (TypeScript training, small budgets:
 * 1,500 training values, 3 epochs). The network trains forecasters, the
 * quorums verify them by inference on their own series, and:
 * - predictor optimae are accepted through verified work blocks and the
 *   champion's skill climbs (each new champion beats the last by ε);
 * - /stats and the experiment export give the champion as a fraction of the
 *   domain's optimum (the Bayes-optimal skill);
 * - POST /inference forecasts the next value of a window with the champion;
 * - weights larger than a plain transaction (> 8 KiB) travel in a reveal and
 *   are verified: an honest claim is accepted, the same model with a false
 *   claim rejected; params over the domain's 24 KiB are refused at once
 *   (413 PARAMS_TOO_LARGE, nothing stored), as are weights written as JSON
 *   floats (400 MALFORMED); weights of the wrong length fit the chain's
 *   rules but no evaluator scores them (their plugin refuses them): the
 *   round expires unverified;
 * - the chain replays with core/: same tip, coins conserved.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bytesToHex } from "../../core/hex.ts";
import { computeCommitment, createTx, paramsSize, txToWire } from "../../core/tx.ts";
import type { Fixed, JsonValue } from "../../core/types.ts";
import { encodeParams, modelSkill } from "../../plugins/predictor/model.ts";
import { generateSeries } from "../../plugins/predictor/series.ts";
import { trainMlp } from "../../plugins/predictor/train.ts";
import { readPluginPackage } from "../../plugins/registry.ts";
import { toFixed } from "../../plugins/sdk.ts";
import { freeBasePort, startTestnet, type Testnet } from "../../testnet/harness.ts";
import { paramsFor } from "../../core/params.ts";
import { domainsSetting } from "../../durable-objects/config.ts";
import { fromFaucet } from "../support/faucet.ts";
import { until } from "../support/until.ts";
import { Client } from "./client.ts";
import { getJson, included, roundsIn } from "./reads.ts";
import { replayChain } from "./replay.ts";

const NETWORK = "doin-devnet";
const PREDICTOR = fileURLToPath(new URL("../../plugins/predictor", import.meta.url));
const OPTIMIZER_CONFIG = { trainLength: 1_500, epochs: 3, validationLength: 3_000 };
const dir = mkdtempSync(join(tmpdir(), "doin-predictor-"));
let net: Testnet;

beforeAll(async () => {
  net = await startTestnet({
    nodes: 3,
    dir,
    basePort: await freeBasePort(3),
    runners: true,
    pluginPackages: [PREDICTOR],
    domains: ["predictor"],
    runnerArgs: ["--optimizer-config", JSON.stringify(OPTIMIZER_CONFIG), "--poll-ms", "250"],
  });
}, 180_000);

afterAll(async () => {
  await net?.stop();
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

const url = (i = 0): string => (net.nodes[i] as { url: string }).url;
const context = () => net.logTail(20).join("\n");

interface DomainStats {
  domain: string;
  optimum: string | null;
  acceptedOptimae: number;
  best: { verified: string; fractionOfOptimum: string | null } | null;
}

/** A trained model and what it truly scores: the mean of its skill on four fresh series (the evaluators' length). */
function honestModel(window: number, hidden: number): { params: JsonValue; skill: number } {
  const hyper = { window, hidden, learningRateLog10: -2, weightDecayLog10: -4 };
  const mlp = trainMlp(generateSeries(77, 1_500).values, hyper, 5, { epochs: 2, batchSize: 32 });
  const skills = [201, 202, 203, 204].map((s) => modelSkill(mlp, generateSeries(s, 20_000).values));
  return { params: encodeParams(hyper, mlp), skill: skills.reduce((a, b) => a + b, 0) / skills.length };
}

describe("the predictor domain on a testnet with runners", () => {
  it("trains and verifies forecasters: the champion climbs through work blocks towards the optimum; inference, stats, large weights and the size limit", async () => {
    // ---- 1. the network's own optimizers: at least two champions in turn, and work blocks
    const stats = await until(
      "two accepted predictor optimae and a work block",
      async () => {
        const s = await getJson<{ domains: DomainStats[] }>(url(), "/stats");
        const p = s.domains.find((d) => d.domain === "predictor");
        const chain = await getJson<{ mintedBlocks: number }>(url(), "/chain/status");
        return p !== undefined && p.acceptedOptimae >= 2 && chain.mintedBlocks >= 1 ? p : undefined;
      },
      { timeoutMs: 300_000, everyMs: 2_000, context },
    );
    expect(stats.optimum).toBe("314810");
    const verified = BigInt(stats.best?.verified ?? "0");
    expect(verified).toBeGreaterThan(0n); // better than the naive forecast
    expect(verified).toBeLessThan(314_810n + 25_000n); // never beyond the Bayes-optimal skill, within the tolerance
    expect(stats.best?.fractionOfOptimum).toBe(((verified * 1_000_000n) / 314_810n).toString());
    // the experiment history: each accepted optimae beat the champion before it by ε (0.01)
    const rows = (await (await fetch(`${url()}/stats/export?format=ndjson&domain=predictor`)).text())
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { verified_fixed: string; previous_best_fixed: string; fraction_of_optimum: string; height: number });
    expect(rows.length).toBeGreaterThanOrEqual(2);
    for (const r of rows) {
      expect(BigInt(r.verified_fixed) - BigInt(r.previous_best_fixed)).toBeGreaterThanOrEqual(10_000n);
      expect(Number(r.fraction_of_optimum)).toBeCloseTo(Number(r.verified_fixed) / 314_810, 5);
    }
    const first = BigInt((rows[0] as { verified_fixed: string }).verified_fixed);
    const last = BigInt((rows[rows.length - 1] as { verified_fixed: string }).verified_fixed);
    expect(last - first).toBeGreaterThanOrEqual(10_000n); // the champion's skill improved

    // ---- 2. inference: the champion forecasts the next value of a window
    const window = Array.from(generateSeries(9, 100).values);
    const asked = await fetch(`${url(1)}/inference`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ domain: "predictor", input: { values: window } }) });
    expect(asked.status).toBe(202);
    const jobId = ((await asked.json()) as { jobId: string }).jobId;
    const view = await until(
      "the forecast",
      async () => {
        const v = await getJson<{ status: string; result: { output: { forecast: number; naive: number }; model: { source: string } } | null }>(url(1), `/inference/${jobId}`);
        return v.status === "pending" || v.status === "leased" ? undefined : v;
      },
      { timeoutMs: 60_000, everyMs: 300, context },
    );
    expect(view.status).toBe("done");
    expect(view.result?.model.source).toBe("champion");
    expect(Number.isFinite(view.result?.output.forecast)).toBe(true);
    expect(view.result?.output.naive).toBe(window[window.length - 1]);

    // ---- 3. an outside optimizer with a model larger than any plain transaction: honest and false claims
    const alice = new Client(() => url(), NETWORK);
    await fromFaucet(url(), alice.address); // four commits' bonds and fees
    const big = honestModel(48, 40);
    expect(paramsSize(big.params)).toBeGreaterThan(8_192);
    const claims: { reported: Fixed; salt: string }[] = [
      { reported: toFixed(big.skill), salt: bytesToHex(randomBytes(16)) },
      { reported: toFixed(big.skill + 0.1), salt: bytesToHex(randomBytes(16)) },
    ];
    // the same weights cannot be revealed twice (the first revealer owns them): the lie gets its own copy, one float changed
    const liedParams = { ...(big.params as Record<string, JsonValue>), weights: flipLastFloat((big.params as { weights: string }).weights) };
    // weights one float short: the chain takes them (it checks sizes, not shapes), the evaluators' plugin does not
    const shortParams = {
      ...(big.params as Record<string, JsonValue>),
      weights: Buffer.from((big.params as { weights: string }).weights, "base64")
        .subarray(4)
        .toString("base64"),
    };
    claims.push({ reported: toFixed(big.skill), salt: bytesToHex(randomBytes(16)) });
    const paramsOf = [big.params, liedParams, shortParams];
    const commits: string[] = [];
    for (const [k, c] of claims.entries()) {
      const r = await alice.send("commit", {
        domain: "predictor",
        commitment: computeCommitment({ domain: "predictor", params: paramsOf[k] as JsonValue, salt: c.salt, reported: c.reported, optimizer: alice.pub }),
      });
      expect(r.status).toBe(202);
      commits.push(r.id);
    }
    // and a commit to params over the domain's 24 KiB
    const hugeParams = { ...(big.params as Record<string, JsonValue>), weights: `${(big.params as { weights: string }).weights}${"AAAA".repeat(3_500)}` };
    expect(paramsSize(hugeParams)).toBeGreaterThan(24_576);
    const hugeSalt = bytesToHex(randomBytes(16));
    const hugeCommit = await alice.send("commit", {
      domain: "predictor",
      commitment: computeCommitment({ domain: "predictor", params: hugeParams, salt: hugeSalt, reported: 1n, optimizer: alice.pub }),
    });
    expect(hugeCommit.status).toBe(202);
    await included(url(), [...commits, hugeCommit.id], "alice's commits on chain", context);
    const tooBig = await alice.send("reveal", { commit: hugeCommit.id, params: hugeParams, salt: hugeSalt, reported: 1n });
    expect(tooBig).toMatchObject({ status: 413, code: "PARAMS_TOO_LARGE" });
    expect((await fetch(`${url()}/tx/${tooBig.id}`)).status).toBe(404);
    // weights as JSON floats (no client of ours can even sign them: the canonical encoding has no floats), sent raw
    const signed = txToWire(
      createTx("reveal", { commit: hugeCommit.id, params: { model: "mlp1", weights: [1, 2] }, salt: hugeSalt, reported: 1n }, { secret: alice.secret, nonce: 99, network: NETWORK }),
    ) as Record<string, JsonValue>;
    const floats = { ...signed, body: { ...(signed["body"] as Record<string, JsonValue>), params: { model: "mlp1", weights: [0.5, -0.25] } } };
    const refused = await fetch(`${url()}/tx`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(floats) });
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { code: string }).code).toBe("MALFORMED");
    expect((await fetch(`${url()}/tx/${signed["id"] as string}`)).status).toBe(404);
    const reveals: string[] = [];
    for (const [k, c] of claims.entries()) {
      const r = await alice.send("reveal", { commit: commits[k] as string, params: paramsOf[k] as JsonValue, salt: c.salt, reported: c.reported });
      expect(r.status).toBe(202);
      reveals.push(r.id);
    }
    const [honest, lie, short] = await roundsIn(url(), reveals, ["accepted", "rejected", "expired"], "verdicts on alice's large models", context, 180_000);
    expect(honest?.status).toBe("accepted");
    expect(new Set(honest?.votes.map((v) => v.dataHash)).size).toBe(honest?.votes.length); // each evaluator on its own series
    expect(lie?.status).toBe("rejected");
    expect(short).toMatchObject({ status: "expired", votes: [] });

    // ---- 4. the chain replayed with core/ up to a final height: same tip, coins conserved, every round decided as the node said
    //      (blocks come with activity: once every round is decided, alice's small payments to herself bring the blocks that finalize it)
    const seen = (await getJson<{ height: number }>(url(), "/chain/status")).height;
    let lastPayment = 0;
    const final = await until(
      `height ${seen} final`,
      async () => {
        const s = await getJson<{ finalizedHeight: number }>(url(), "/chain/status");
        if (s.finalizedHeight >= seen) return (await getJson<{ hash: string }>(url(), `/chain/block/${seen}`)).hash;
        if (Date.now() - lastPayment > 3_000) {
          lastPayment = Date.now();
          await alice.send("transfer", { to: alice.address, amount: 1n });
        }
        return undefined;
      },
      { timeoutMs: 120_000, everyMs: 500, context },
    );
    const rules = readPluginPackage(PREDICTOR)?.entries.map((e) => e.chain) ?? [];
    const params = paramsFor(
      NETWORK,
      net.nodes.map((n) => n.publicKey),
      domainsSetting(JSON.stringify(rules)),
      net.genesisTime,
    );
    let largest = 0;
    const { state } = await replayChain(url(), params, seen, (block) => {
      for (const t of block.txs) if (t.kind === "reveal") largest = Math.max(largest, paramsSize(t.body.params));
    });
    expect(state.tipHash).toBe(final);
    expect(largest).toBeGreaterThan(8_192);
  }, 600_000);
});

/** The same weights but the last float's lowest mantissa bit flipped (another model, almost the same skill). */
function flipLastFloat(weights: string): string {
  const raw = Buffer.from(weights, "base64");
  raw[raw.length - 4] = (raw[raw.length - 4] as number) ^ 1;
  return raw.toString("base64");
}
