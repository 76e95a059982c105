/**
 * Where a mempool transaction's time goes: `tsx bench/mempool-profile.ts
 * [single|batch]` starts one node, funds senders, attaches V8's sampling
 * profiler to the node's Worker isolate (the Worker and its Durable Objects
 * share it) through the inspector, submits commits through POST /tx or POST
 * /tx/batch, and prints the functions with the most self time, grouped by
 * source file, per transaction. The full profile is written to
 * bench/mempool.cpuprofile (open it in Chrome's DevTools).
 */
import { writeFileSync } from "node:fs";
import { addressFromPublicKey, publicKeyFromSecret, secretFromSeedPhrase } from "../core/keys.ts";
import { COIN_UNIT } from "../core/params.ts";
import { createTx, txToWire } from "../core/tx.ts";
import { startLocalNode } from "../testnet/local-node.ts";
import { treeCpuSeconds } from "./cpu.ts";
import { transferChain } from "./transfer-chain.ts";

const mode = process.argv[2] === "single" ? "single" : "batch";
const COUNT = mode === "single" ? 400 : 1_600;

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number; readonly scriptId: string };
  readonly children?: readonly number[];
}
interface Profile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

async function inspector(port: number): Promise<(method: string, params?: object) => Promise<unknown>> {
  const targets = (await (await fetch(`http://127.0.0.1:${port}/json`)).json()) as { webSocketDebuggerUrl: string; title?: string }[];
  const target = targets.find((t) => !String(t.title ?? "").includes("proxy")) ?? targets[0];
  if (target === undefined) throw new Error("no inspector target");
  // wrangler's inspector proxy takes DevTools' origin only (Node's WebSocket sends none by itself)
  const ws = new WebSocket(target.webSocketDebuggerUrl, { headers: { Origin: "https://devtools.devprod.cloudflare.dev" } } as never);
  await new Promise((resolve, reject) => {
    ws.addEventListener("open", resolve);
    ws.addEventListener("error", reject);
  });
  let next = 1;
  const waiting = new Map<number, (v: unknown) => void>();
  ws.addEventListener("message", (m: MessageEvent) => {
    const msg = JSON.parse(String(m.data)) as { id?: number; result?: unknown };
    if (msg.id !== undefined) waiting.get(msg.id)?.(msg.result);
  });
  return (method, params = {}) =>
    new Promise((resolve) => {
      const id = next++;
      waiting.set(id, resolve);
      ws.send(JSON.stringify({ id, method, params }));
    });
}

const senders = Array.from({ length: COUNT }, (_, i) => secretFromSeedPhrase(`profile-tx-${i}`));
const chain = transferChain("profile-funder", 1, 20, { to: senders.map((s) => addressFromPublicKey(publicKeyFromSecret(s))), amount: 2n * COIN_UNIT });
const node = await startLocalNode({ secret: "43".repeat(32), vars: { GENESIS_VALIDATORS: chain.keys.join(",") } });
try {
  for (const w of [...chain.wires, ...chain.funding]) {
    const r = await fetch(`${node.url}/chain/blocks`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(w) });
    if (r.status !== 202) throw new Error(`block refused: ${await r.text()}`);
  }
  const txs = senders.map((secret, i) =>
    txToWire(createTx("commit", { domain: "quadratic", commitment: (i + 7).toString(16).padStart(64, "0") }, { secret, nonce: 1, network: chain.params.network })),
  );
  const call = await inspector(node.inspectorPort);
  await call("Profiler.enable");
  await call("Profiler.setSamplingInterval", { interval: 200 });
  await call("Profiler.start");
  const cpu0 = treeCpuSeconds(node.pid);
  const t0 = performance.now();
  const bodies = mode === "single" ? txs : Array.from({ length: COUNT / 100 }, (_, i) => ({ txs: txs.slice(i * 100, (i + 1) * 100) }));
  let i = 0;
  await Promise.all(
    Array.from({ length: mode === "single" ? 8 : 4 }, async () => {
      while (i < bodies.length) {
        const body = bodies[i++];
        const r = await fetch(`${node.url}/tx${mode === "single" ? "" : "/batch"}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
        await r.arrayBuffer();
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  const cpu1 = treeCpuSeconds(node.pid);
  const { profile } = (await call("Profiler.stop")) as { profile: Profile };
  // the bundle's source, to show each hot function's first line (the bundle's line numbers name no file)
  await call("Debugger.enable");
  const sources = new Map<string, string[]>();
  for (const id of new Set(profile.nodes.map((n) => n.callFrame.scriptId).filter((id) => id !== "0"))) {
    const r = (await call("Debugger.getScriptSource", { scriptId: id })) as { scriptSource?: string } | undefined;
    if (r?.scriptSource !== undefined) sources.set(id, r.scriptSource.split("\n"));
  }
  writeFileSync("bench/mempool.cpuprofile", JSON.stringify(profile));
  const self = new Map<number, number>();
  profile.samples.forEach((id, k) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[k] ?? 0)));
  const byFunction = new Map<string, number>();
  const byFile = new Map<string, number>();
  let total = 0;
  for (const n of profile.nodes) {
    const us = self.get(n.id) ?? 0;
    total += us;
    const file = n.callFrame.url.replace(/^.*\/(node_modules\/[^/]+|[^/]+\/[^/]+)$/, "$1") || `(${n.callFrame.functionName || "native"})`;
    const line = sources.get(n.callFrame.scriptId)?.[n.callFrame.lineNumber]?.trim().slice(0, 90) ?? "";
    const key = `${n.callFrame.functionName || "(anonymous)"} ${file}:${n.callFrame.lineNumber + 1}  ${line}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + us);
    byFile.set(file, (byFile.get(file) ?? 0) + us);
  }
  const idle = [...byFunction].filter(([k]) => k.startsWith("(idle)") || k.startsWith("(program)")).reduce((a, [, v]) => a + v, 0);
  console.log(
    `${mode}: ${COUNT} txs in ${seconds.toFixed(1)} s wall (${(COUNT / seconds).toFixed(0)} tx/s); workerd CPU ${(cpu1.workerd - cpu0.workerd).toFixed(2)} s, all node processes ${(cpu1.all - cpu0.all).toFixed(2)} s → ${(COUNT / (cpu1.workerd - cpu0.workerd)).toFixed(0)} tx per workerd CPU-second`,
  );
  console.log(`isolate samples: ${(total / 1000).toFixed(0)} ms, of which idle/program ${(idle / 1000).toFixed(0)} ms; busy per tx ${((total - idle) / COUNT).toFixed(0)} µs\n`);
  const top = (m: Map<string, number>, n: number) =>
    [...m]
      .filter(([k]) => !k.startsWith("(idle)"))
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([k, v]) => `${(v / COUNT).toFixed(0).padStart(6)} µs/tx  ${((100 * v) / (total - idle)).toFixed(1).padStart(5)} %  ${k}`)
      .join("\n");
  console.log(`by file:\n${top(byFile, 15)}\n\nby function:\n${top(byFunction, 30)}`);
} finally {
  await node.stop();
}
