/**
 * What the optimizer does with the refusals the network's security rules
 * bring (commit bonds, a reveal delay, a cap on open rounds): against a
 * scripted node, which gives each refusal on cue where a real one gives it
 * only under a race (test/cli/testnet.test.ts runs against real nodes), the
 * real optimizer signs real transactions (core's createTx) for a real
 * quadratic island.
 * - TOO_MANY_OPEN_ROUNDS on the commit and REVEAL_TOO_EARLY on the reveal
 *   are sent again, each only once a new block is there, and the optimae is
 *   claimed and rewarded;
 * - a refusal that no block cures (REVEAL_MISMATCH) ends the run with the
 *   node's code (the positive control of "retried only when curable");
 * - a domain's bond counts in the funds a key needs before anything is signed.
 */
import { describe, expect, it } from "vitest";
import { CliError, refused } from "../../cli/errors.ts";
import type { NetworkDomain, NetworkRules } from "../../cli/network.ts";
import type { NodeClient, RoundView } from "../../cli/node-client.ts";
import { runOptimizer } from "../../cli/optimizer.ts";
import { Output } from "../../cli/output.ts";
import { Sender } from "../../cli/sender.ts";
import { QUADRATIC_DOMAIN } from "../../core/params.ts";
import type { JsonValue } from "../../core/types.ts";
import { Island } from "../../gpu-runner/executors.ts";
import quadratic from "../../plugins/quadratic/index.ts";

const NETWORK = "doin-test";
const DOMAIN: NetworkDomain = { rules: QUADRATIC_DOMAIN, bond: 0n };
const RULES: NetworkRules = { network: NETWORK, finalityDepth: 6, revealWindowBlocks: 30, voteWindowBlocks: 20, carrierIntervalMs: 2_000, domains: new Map([["quadratic", DOMAIN]]) };

interface Wire {
  id: string;
  kind: string;
  body: Record<string, unknown>;
}

/** A node that makes a block each time its status is read, and refuses what `refuse` says, in order. */
function scriptedNode(refuse: Record<string, string[]>, balance = 10n ** 12n) {
  let height = 10;
  const included = new Map<string, number>();
  const sent: { kind: string; height: number; code: string | null }[] = [];
  let round: RoundView | null = null;
  let polls = 0;
  let acceptHeight = 0;
  const me = { address: "" };
  const node = {
    url: "http://scripted.invalid",
    async chainStatus() {
      height++;
      return { network: NETWORK, height, finalizedHeight: height - 6 };
    },
    async account(address: string) {
      me.address = address;
      return { address, balance: balance.toString(), nonce: 0, reputation: "0" };
    },
    async pendingOf() {
      return [];
    },
    async fees() {
      return { normal: "1000" };
    },
    async submit(wire: Wire) {
      const code = refuse[wire.kind]?.shift() ?? null;
      sent.push({ kind: wire.kind, height, code });
      if (code !== null) throw refused(code, `scripted refusal of the ${wire.kind}`, 422);
      included.set(wire.id, height + 1);
      if (wire.kind === "reveal") {
        round = { optimae: wire.id, domain: "quadratic", optimizer: me.address, commit: wire.body["commit"] as string, beacon: "00".repeat(32), bond: "100000000", params: wire.body["params"] as JsonValue, reported: String(wire.body["reported"]), revealHeight: height + 1, deadline: height + 21, quorum: ["e1", "e2"], votes: [], status: "voting", verified: null };
      }
      if (wire.kind === "accept" && round !== null) {
        acceptHeight = height + 1;
        round = { ...round, status: "claimed" };
      }
      return { id: wire.id };
    },
    async tx(id: string) {
      const h = included.get(id);
      return h === undefined ? null : { id, status: "included", height: h, block: "ab".repeat(32) };
    },
    async rounds() {
      // the quorum votes while the optimizer watches
      if (round?.status === "voting" && ++polls >= 3) round = { ...round, status: "accepted", verified: round.reported, votes: round.quorum.map((e) => ({ evaluator: e, performance: round?.reported as string, dataHash: "00".repeat(32) })) };
      return round === null ? [] : [round];
    },
    async champions() {
      return [{ domain: "quadratic", performance: QUADRATIC_DOMAIN.initialChampion.toString(), optimae: null, optimizer: null, params: null, height: 0 }];
    },
    async blocks(from: number, to: number) {
      const out = [];
      for (let h = from; h <= to; h++) {
        out.push({ hash: `${h}`.padStart(64, "0"), sig: "", header: { height: h, timestamp: 0, producer: "", parent: "" }, txs: [], coinbase: h === acceptHeight ? [{ to: me.address, amount: "123", role: "optimizer" }] : [] });
      }
      return out;
    },
  };
  return { node: node as unknown as NodeClient, sent };
}

function optimizer(node: NodeClient, domain: NetworkDomain = DOMAIN, events: unknown[] = []) {
  const secret = crypto.getRandomValues(new Uint8Array(32));
  return runOptimizer({
    client: node,
    rules: RULES,
    domainId: "quadratic",
    domain,
    island: new Island(quadratic, { runnerId: "test", budget: 16 }),
    sender: new Sender(node, secret, NETWORK),
    journal: null,
    fee: "auto",
    rounds: null,
    improvements: 1,
    timeoutMs: 20_000,
    pollMs: 5,
    out: new Output(true, (line) => void events.push(JSON.parse(line))),
    signal: new AbortController().signal,
  });
}

describe("optimize under the network's coming rules", () => {
  it("TOO_MANY_OPEN_ROUNDS and REVEAL_TOO_EARLY are sent again after a new block; the optimae is claimed and rewarded", async () => {
    const { node, sent } = scriptedNode({ commit: ["TOO_MANY_OPEN_ROUNDS"], reveal: ["REVEAL_TOO_EARLY", "REVEAL_TOO_EARLY"] });
    const events: { event: string }[] = [];
    const summary = await optimizer(node, DOMAIN, events);
    expect(events.map((e) => e.event)).toEqual(["round", "commit", "reveal", "verdict", "claimed", "reward"]);
    expect(summary).toMatchObject({ committed: 1, accepted: 1, claimed: 1, rewarded: 1, reward: 123n });
    expect(sent.map((s) => `${s.kind}:${s.code ?? "ok"}`)).toEqual(["commit:TOO_MANY_OPEN_ROUNDS", "commit:ok", "reveal:REVEAL_TOO_EARLY", "reveal:REVEAL_TOO_EARLY", "reveal:ok", "accept:ok"]);
    // each retry waited for a block the refused attempt had not seen
    const reveals = sent.filter((s) => s.kind === "reveal").map((s) => s.height);
    expect(reveals[1]).toBeGreaterThan(reveals[0] as number);
    expect(reveals[2]).toBeGreaterThan(reveals[1] as number);
  });

  it("a refusal no block cures ends the run with the node's code", async () => {
    const { node, sent } = scriptedNode({ reveal: ["REVEAL_MISMATCH"] });
    const e = await optimizer(node).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(CliError);
    expect((e as CliError).code).toBe("REVEAL_MISMATCH");
    expect(sent.filter((s) => s.kind === "reveal")).toHaveLength(1);
  });

  it("the domain's commit bond counts in what a key needs before anything is signed", async () => {
    const bonded: NetworkDomain = { rules: QUADRATIC_DOMAIN, bond: 5_000_000_000n };
    const { node, sent } = scriptedNode({}, 4_000_000_000n);
    const e = await optimizer(node, bonded).catch((x: unknown) => x);
    expect((e as CliError).code).toBe("INSUFFICIENT_BALANCE");
    expect((e as CliError).message).toMatch(/holds 40 DOIN; an optimae needs 50\.00003 \(bond 50 \+ 3 fees of 0\.00001\)/);
    expect(sent).toEqual([]);
    // positive control: the same key with enough for the bond goes ahead
    const { node: funded } = scriptedNode({}, 6_000_000_000n);
    expect((await optimizer(funded, bonded)).claimed).toBe(1);
  });
});
