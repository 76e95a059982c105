/**
 * `npm run runner -- --node URL --token T [--domains quadratic] [--concurrency N] [--optimizer cmaes|random_step] [--name R]`
 */
import { fromFixed } from "../plugins/sdk.ts";
import type { JsonValue } from "../core/types.ts";
import { quadraticExecutor, type OptimizerName } from "./quadratic-executor.ts";
import { JobLoop } from "./job-loop.ts";
import { tasksClient } from "./tasks-client.ts";

function arg(name: string, fallback?: string): string {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? process.argv[i + 1] : fallback;
  if (v === undefined) {
    console.error(`--${name} is required`);
    process.exit(2);
  }
  return v;
}

const node = arg("node").replace(/\/$/, "");
const token = arg("token");
const domains = arg("domains", "quadratic").split(",");
const concurrency = Number(arg("concurrency", "2"));
const optimizer = arg("optimizer", "cmaes") as OptimizerName;
const name = arg("name", `runner-${process.pid}`);
if (!domains.every((d) => d === "quadratic")) {
  console.error("this runner serves the quadratic domain (other domains: see plugins/README.md)");
  process.exit(2);
}

const champion = async (): Promise<{ params: JsonValue; performance: number } | null> => {
  const list = (await (await fetch(`${node}/chain/champions`)).json()) as { domain: string; performance: string; params: JsonValue }[];
  const c = list.find((x) => x.domain === "quadratic");
  return c === undefined || c.params === null ? null : { params: c.params, performance: fromFixed(c.performance) };
};
const seed = [...name].reduce((h, ch) => (Math.imul(h, 31) + ch.charCodeAt(0)) >>> 0, 7);
const executor = quadraticExecutor({ optimizer, seed, runner: name });
const source = tasksClient({ node, token, runner: name, kinds: ["optimize", "evaluate", "inference"], domains });
const runner = new JobLoop(source, executor, champion, concurrency);

console.log(`${name}: serving ${domains.join(",")} for ${node} (optimizer ${optimizer}, concurrency ${concurrency})`);
const progress = setInterval(() => {
  const mins = (Date.now() - runner.stats.startedAt) / 60_000;
  const total = Object.values(runner.stats.done).reduce((a, b) => a + b, 0);
  const best = executor.best();
  console.log(`${name}: done ${JSON.stringify(runner.stats.done)} failed ${runner.stats.failed} | best quadratic ${best === null ? "–" : best.toFixed(3)} | ${(total / Math.max(mins, 1e-9)).toFixed(1)} jobs/min`);
}, 5_000);
const shutdown = async (): Promise<void> => {
  clearInterval(progress);
  await runner.stop();
  process.exit(0);
};
process.on("SIGINT", () => void shutdown());
process.on("SIGTERM", () => void shutdown());
await runner.loop();
