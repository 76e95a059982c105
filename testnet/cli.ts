/**
 * `npm run testnet -- --nodes 5 [--clean] [--dir .state/testnet] [--port 8787] [--logs] [--no-runners]`
 * Starts N nodes on loopback, one GPU runner per node (quadratic domain),
 * prints what each URL serves, then one status
 * line per node every few seconds; Ctrl-C stops everything cleanly.
 */
import { startTestnet, type Testnet } from "./harness.ts";

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}

const nodes = Number(arg("nodes", "3"));
if (!Number.isSafeInteger(nodes) || nodes < 1 || nodes > 16) {
  console.error("--nodes must be an integer from 1 to 16");
  process.exit(2);
}
const dir = arg("dir", ".state/testnet");
const basePort = Number(arg("port", "8787"));

console.log(`starting a ${nodes}-node DOIN testnet (state in ${dir})…`);
const started = Date.now();
const net: Testnet = await startTestnet({
  nodes,
  dir,
  clean: process.argv.includes("--clean"),
  basePort,
  logs: process.argv.includes("--logs"),
  runners: !process.argv.includes("--no-runners"),
});
console.log(`\nready in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
for (const n of net.nodes) console.log(`  ${n.name}  ${n.url}  key ${n.publicKey.slice(0, 16)}…`);
console.log(`
Each node serves:
  /status            everything at a glance (chain, difficulty, coin, tasks, peers)
  /chain/status      head, finality, threshold;  /chain/blocks?from=0&to=49
  /stats             experiments and chain metrics (D1);  /stats/export?format=csv
  /peers             peers with score and last-seen;  /openapi.json  the whole API
Runner token (Authorization: Bearer …): ${net.token}
Ctrl-C stops the testnet.
`);

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  console.log("\nstopping…");
  await net.stop();
  process.exit(0);
}
process.on("SIGINT", () => void stop());
process.on("SIGTERM", () => void stop());

setInterval(async () => {
  const lines = await Promise.all(
    net.nodes.map(async (n) => {
      if (!net.isRunning(n.index)) return `${n.name}: stopped`;
      try {
        const s = (await (await fetch(`${n.url}/status`)).json()) as {
          chain: { height: number; tip: string; finalizedHeight: number; mintedBlocks: number; supply: string };
          peers: unknown[];
          mempool: { size: number };
        };
        const champion = (await (await fetch(`${n.url}/chain/champions`)).json()) as { domain: string; performance: string }[];
        const best = champion.map((c) => `${c.domain} ${(Number(c.performance) / 1e6).toFixed(2)}`).join(", ");
        return `${n.name}: height ${s.chain.height} tip ${s.chain.tip.slice(0, 10)} final ${s.chain.finalizedHeight} minted ${s.chain.mintedBlocks} mempool ${s.mempool.size} peers ${s.peers.length} | ${best}`;
      } catch (e) {
        return `${n.name}: ${e instanceof Error ? e.message : String(e)}`;
      }
    }),
  );
  console.log(`[${new Date().toISOString().slice(11, 19)}] ${lines.join("\n           ")}`);
}, 5_000);
