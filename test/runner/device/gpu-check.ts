/**
 * Device check of the Node side (run on a GPU machine, bundled with esbuild
 * and run by a carried Node binary): WorkerProcess ↔ the PyTorch worker on
 * CUDA — hello, evaluate_batch against TypeScript, crash and restart, and
 * batch_es rounds through externalDomainPlugin with their timing. Prints
 * one JSON object.
 *
 * The GPU machines have PyTorch but no Node: bundle this file and carry a
 * compressed Node binary (a gitignored folder travels with `carry`):
 *
 *   esbuild test/runner/device/gpu-check.ts --bundle --platform=node --format=esm --outfile=.state/device/gpu-check.mjs
 *   xz -c node_modules/node/bin/node > .state/device/node.xz        # ≈ 29 MB
 *   # there: python3 -c "import lzma,shutil; shutil.copyfileobj(lzma.open('.state/device/node.xz'), open('/tmp/node','wb'))"
 *   #        chmod +x /tmp/node && python3 test/runner/device/gpu_check.py && /tmp/node .state/device/gpu-check.mjs
 */
import { externalDomainPlugin } from "../../../gpu-runner/external-plugin.ts";
import { WorkerProcess } from "../../../gpu-runner/worker-process.ts";
import type { JsonValue } from "../../../core/types.ts";

const out: Record<string, JsonValue> = {};
const w = new WorkerProcess({ command: ["python3", "gpu-runner/python/doin_worker.py"], requestTimeoutMs: 120_000, log: () => undefined });
let t0 = performance.now();
const hello = await w.start();
out["ready_ms"] = Math.round(performance.now() - t0);
out["hello"] = { device: hello.device, torch: hello.torch, gpu: hello.gpu ?? null, backend: hello.backend ?? null };

let seed = 12345;
const rand = () => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32;
const target = Array.from({ length: 10 }, () => rand() * 10 - 5);
const xs = Array.from({ length: 10_000 }, () => Array.from({ length: 10 }, () => rand() * 20 - 10));
const r = (await w.request("evaluate_batch", { domain: "quadratic", candidates: xs, data: { target } })) as { values: number[] };
out["max_abs_diff_10000"] = Math.max(...r.values.map((v, i) => Math.abs(v + (xs[i] as number[]).reduce((s, x, j) => s + (x - (target[j] as number)) ** 2, 0))));

const pid = w.pid ?? 0;
const crash = await w.request("crash", {}).catch((e: unknown) => (e instanceof Error ? e.message : String(e)));
t0 = performance.now();
const again = (await w.request("hello", {})) as { device: string };
out["crash"] = { reply: String(crash), restarted: w.pid !== pid, restarts: w.restarts, device_after: again.device, restart_ms: Math.round(performance.now() - t0) };

const domain = w.hello?.domains.find((d) => d.id === "quadratic");
if (domain === undefined) throw new Error("no quadratic");
const plugin = externalDomainPlugin(w, domain, {});
const es = plugin.optimizers["batch_es"]?.({ population: 4096 });
if (es === undefined) throw new Error("no batch_es");
const rounds: JsonValue[] = [];
let local: { params: JsonValue; performance: number } | null = null;
for (let i = 1; i <= 5; i++) {
  t0 = performance.now();
  const o = await es.optimize({ champion: null, local, seed: 1000 + i, budget: 65_536, config: {} });
  local = { params: o.params, performance: o.performance };
  rounds.push({ round: i, performance: o.performance, evaluations: o.evaluations, ms: Math.round(performance.now() - t0) });
}
out["batch_es_4096x16_per_round"] = rounds;
await w.close();
console.log(JSON.stringify(out, null, 1));
