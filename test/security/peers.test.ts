/**
 * Attacks on the peer layer, on a live 3-node testnet (node3 runs with
 * ALLOW_PRIVATE_PEERS off, as a node on the Internet would; the others
 * allow loopback, as the testnet does):
 * - any key injects peer URLs (private, link-local, and servers that are no
 *   node): they used to become peers that every node polled forever. Now a
 *   URL is taken only after a signed handshake from the node there, and
 *   private ranges only where allowed;
 * - peers that pass the handshake but serve a branch below finality or
 *   oversized answers during sync: they used to be kept; now they are
 *   dropped and their key banned.
 * The attacker's nodes are HTTP servers in this process (support/fake-peer.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMessage } from "../../core/envelope.ts";
import { secretFromSeedPhrase } from "../../core/keys.ts";
import type { JsonValue } from "../../core/types.ts";
import { until, sleep } from "../support/until.ts";
import { json, proxy, startFakePeer, type FakePeer } from "./support/fake-peer.ts";
import { agreedTip, expectLive, getJson, send, snapshot, useLiveNet } from "./support/testnet.ts";

/** node3 (index 2) is the node that refuses private addresses */
const STRICT = 2;
const live = useLiveNet({ nodes: 3, cronMs: 2_000, extraVars: (i) => (i === STRICT ? { ALLOW_PRIVATE_PEERS: "false" } : {}) });
let genesis = "";
const fakes: FakePeer[] = [];
/** the attacker's honest node (the positive control): a peer where loopback is allowed */
let honest: FakePeer;

beforeAll(async () => {
  genesis = (await getJson<{ genesis: string }>(live.urls[0]!, "/chain/status")).genesis;
});

afterAll(async () => {
  await Promise.all(fakes.map((f) => f.close()));
});

interface PeerRow {
  url: string;
  publicKey: string | null;
  score: number;
}
interface Candidate {
  url: string;
  state: string;
  lastError: string | null;
}
const peerTable = (url: string) => getJson<{ peers: PeerRow[]; candidates: Candidate[] }>(url, "/peers");
const context = () => live.net.logTail(20).join("\n");

async function fake(name: string, opts: Omit<Parameters<typeof startFakePeer>[0], "secret" | "network" | "genesis"> = {}): Promise<FakePeer> {
  const f = await startFakePeer({ secret: secretFromSeedPhrase(`peers-attack-${name}`), network: live.params.network, genesis, ...opts });
  fakes.push(f);
  return f;
}

/** A peer list signed by `secret`, sent to a node's /p2p. */
const offer = (url: string, urls: readonly string[], secret: Uint8Array) =>
  send(url, "POST", "/p2p", createMessage("peers", urls as JsonValue, { secret, network: live.params.network, nowMs: Date.now() }));

/** Waits until none of `urls` is a pending candidate on the node; returns its table. */
const settled = (node: string, urls: readonly string[], timeoutMs = 60_000) =>
  until(
    `${urls.length} candidates tried at ${node}`,
    async () => {
      const t = await peerTable(node);
      return urls.every((u) => t.candidates.some((c) => c.url === u && c.state === "refused") || t.peers.some((p) => p.url === u)) ? t : undefined;
    },
    { timeoutMs, everyMs: 500, context },
  );

describe("peer URLs from the network", () => {
  const attacker = secretFromSeedPhrase("peers-attacker");

  it("any key injects private, link-local and non-node URLs: refused on every node, never taken as peers, never polled", async () => {
    const before = await snapshot(live);
    const peersBefore = await Promise.all(live.urls.map(async (u) => (await peerTable(u)).peers.map((p) => p.url).sort()));
    const trap = await fake("trap", { handshake: false }); // a server that is no node (an internal service, say)
    const strictTrap = await fake("strict-trap", { handshake: false });
    const hostile = ["http://169.254.169.254", "http://10.0.0.1:8787", "http://[fe80::1]:8787", "http://[::1]:8787"];

    for (const [i, node] of live.urls.entries()) {
      const urls = [i === STRICT ? strictTrap.url : trap.url, ...hostile];
      const a = await offer(node, urls, attacker);
      expect(a.status).toBe(202);
      if (i === STRICT) expect(a.body).toEqual({ duplicate: false, accepted: false, code: "PEER_URL_REFUSED" });
      else {
        // loopback is allowed here: the URLs wait for a handshake, which no server there answers
        const t = await settled(node, urls);
        for (const u of urls) expect(t.candidates.find((c) => c.url === u)?.state, `${node}: ${u}`).toBe("refused");
      }
    }
    // the strict node never queued them: nothing was asked of the trap meant for it
    expect((await peerTable(live.urls[STRICT]!)).candidates.filter((c) => [strictTrap.url, ...hostile].includes(c.url))).toEqual([]);
    // a few ticks later: still no peer, and the trap was asked for a handshake at most once per node, never polled
    await sleep(12_000);
    for (const [i, node] of live.urls.entries()) expect((await peerTable(node)).peers.map((p) => p.url).sort()).toEqual(peersBefore[i]);
    expect(trap.requests.filter((r) => r !== "GET /p2p/handshake")).toEqual([]);
    expect(trap.requests.length).toBeLessThanOrEqual(2);
    expect(strictTrap.requests).toEqual([]);
    expect(await snapshot(live)).toEqual(before);
  });

  it("a node of another chain (its handshake names another genesis) is refused", async () => {
    const other = await startFakePeer({ secret: secretFromSeedPhrase("peers-attack-other-net"), network: live.params.network, genesis: "00".repeat(32) });
    fakes.push(other);
    for (const node of live.urls.filter((_, i) => i !== STRICT)) {
      await offer(node, [other.url], attacker);
      const t = await settled(node, [other.url]);
      expect(t.candidates.find((c) => c.url === other.url)?.lastError).toContain("WRONG_NETWORK");
      expect(t.peers.map((p) => p.url)).not.toContain(other.url);
    }
  });

  it("positive control: a node that answers the handshake becomes a peer where loopback is allowed (and is polled); the strict node refuses it", async () => {
    honest = await fake("honest", {
      handle: async (path, query, req, res) => {
        if (path.startsWith("/chain/")) return proxy(res, live.urls[0]!, `${path}?${query.toString()}`);
        if (path === "/p2p") {
          req.resume();
          return json(res, { duplicate: false, accepted: true, code: null }, 202);
        }
        return false;
      },
    });
    for (const [i, node] of live.urls.entries()) {
      const a = await offer(node, [honest.url], attacker);
      if (i === STRICT) {
        expect(a.body).toEqual({ duplicate: false, accepted: false, code: "PEER_URL_REFUSED" });
        continue;
      }
      const t = await settled(node, [honest.url]);
      expect(t.peers.find((p) => p.url === honest.url)).toMatchObject({ publicKey: honest.key });
    }
    await until("the new peer polled", () => (honest.requests.includes("GET /chain/status") ? true : undefined), { timeoutMs: 30_000, context });
  });
});

describe("faulty sync peers", () => {
  it("peers that claim more work and serve a branch below finality, or oversized answers, are dropped on every node that syncs from them; the chain does not move", async () => {
    // a chain with a finalized block to protect
    while (Math.min(...(await Promise.all(live.urls.map(async (u) => (await getJson<{ finalizedHeight: number }>(u, "/chain/status")).finalizedHeight)))) < 2) await expectLive(live);
    const tip = await agreedTip(live);
    const ours = await getJson<{ height: number; cumulativeWork: string }>(live.urls[0]!, "/chain/status");
    const claim = { height: ours.height + 5, tip: "ee".repeat(32), cumulativeWork: (BigInt(ours.cumulativeWork) * 2n + 1_000_000n).toString(), genesis };
    // a well-formed status (a node checks its shape before anything else): more work than anyone's
    const status = (res: Parameters<typeof json>[0]) => json(res, { ...claim, network: live.params.network, finalizedHeight: 0, finalizedHash: genesis, weight: 2 * claim.height, beacon: "0".repeat(64) });

    // a branch of its own: the real headers with another timestamp (they parse, link to nothing we have)
    const belowFinality = await fake("below-finality", {
      handle: async (path, query, _req, res) => {
        if (path === "/chain/status") return status(res);
        if (path === "/chain/headers") {
          const real = await getJson<{ headers: Record<string, unknown>[] }>(live.urls[0]!, `/chain/headers?${query.toString()}`);
          return json(res, { headers: real.headers.map((h) => ({ ...h, timestamp: Number(h["timestamp"]) + 1 })) });
        }
        return false;
      },
    });
    // answers of 32 MiB where 1 MiB is the most a node reads
    let oversizedSent = 0;
    const oversized = await fake("oversized", {
      handle: async (path, _query, _req, res) => {
        if (path === "/chain/status") return status(res);
        if (path === "/chain/headers" || path === "/chain/blocks") {
          res.writeHead(200, { "content-type": "application/json" });
          const chunk = Buffer.alloc(1024 * 1024, 0x20);
          for (let i = 0; i < 32 && !res.destroyed; i++) {
            oversizedSent += chunk.byteLength;
            if (!res.write(chunk)) await new Promise((r) => res.once("drain", r).once("close", r));
          }
          res.end();
          return true;
        }
        return false;
      },
    });
    const before = await snapshot(live);
    const attacker = secretFromSeedPhrase("peers-attacker");
    const lenient = live.urls.filter((_, i) => i !== STRICT);
    for (const node of lenient) expect((await offer(node, [belowFinality.url, oversized.url], attacker)).body).toMatchObject({ accepted: true });
    for (const node of lenient) {
      const t = await until(
        `both faulty peers dropped at ${node}`,
        async () => {
          const tt = await peerTable(node);
          const dropped = [belowFinality.url, oversized.url].every((u) => !tt.peers.some((p) => p.url === u) && tt.candidates.some((c) => c.url === u && c.state === "refused" && (c.lastError ?? "").startsWith("faulty")));
          return dropped ? tt : undefined;
        },
        { timeoutMs: 90_000, everyMs: 500, context },
      );
      expect(t.candidates.find((c) => c.url === belowFinality.url)?.lastError).toContain("finalized");
      expect(t.candidates.find((c) => c.url === oversized.url)?.lastError).toMatch(/larger than/);
      // their keys are banned as senders: a signed message from them is refused before its signature is checked
      for (const f of [belowFinality, oversized]) {
        const ping = await send(node, "POST", "/p2p", createMessage("ping", { n: 1 }, { secret: secretFromSeedPhrase(`peers-attack-${f === oversized ? "oversized" : "below-finality"}`), network: live.params.network, nowMs: Date.now() }));
        expect({ status: ping.status, code: (ping.body as { code: string }).code }).toEqual({ status: 401, code: "UNAUTHORIZED" });
      }
      // offered again: not taken back while the ban lasts
      await offer(node, [belowFinality.url], attacker);
      expect((await peerTable(node)).peers.map((p) => p.url)).not.toContain(belowFinality.url);
    }
    expect(oversizedSent).toBeLessThan(32 * 1024 * 1024);
    // nothing of theirs was applied: same tip, balances, supply, champions on every node
    expect(await snapshot(live)).toEqual(before);
    expect((await agreedTip(live)).tip).toBe(tip.tip);
  });

  it("positive control: the honest peer serving the real chain is kept, with its score up", async () => {
    for (const node of live.urls.filter((_, i) => i !== STRICT)) {
      const row = (await peerTable(node)).peers.find((p) => p.url === honest.url);
      expect(row).toMatchObject({ publicKey: honest.key });
      expect(row?.score).toBeGreaterThan(0);
    }
  });

  it("afterwards the nodes agree on one tip and keep making blocks", async () => {
    await expectLive(live);
  });
});
