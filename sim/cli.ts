/**
 * `npm run sim -- --nodes 1000 [options]`: the network simulator (sim/).
 * Prints the run's progress, then the table of its measurements, and writes
 * them to bench/results.json under `sim.<N>_nodes.*`; `--json FILE` also
 * writes the whole report.
 */
import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { formatTable, recordResults } from "../bench/results-file.ts";
import { reportRows } from "./report.ts";
import { DEFAULT_OPTIONS, runSimulation, type SimOptions } from "./simulation.ts";

const USAGE = `usage: npm run sim -- [--nodes N] [options]
  --nodes N            nodes (default ${DEFAULT_OPTIONS.nodes})
  --validators V       genesis validators among them, who produce and evaluate (default: every node)
  --degree D           gossip degree: peers each new payload goes to (default ${DEFAULT_OPTIONS.degree}; "all": every peer, i.e. flooding)
  --peers P            peers per node, a random graph (default ${DEFAULT_OPTIONS.peers}; the node keeps at most 64)
  --seed S             seed of everything random (default ${DEFAULT_OPTIONS.seed})
  --duration S         seconds of simulated time with load (default ${DEFAULT_OPTIONS.durationMs / 1000})
  --settle S           seconds after it (default ${DEFAULT_OPTIONS.settleMs / 1000})
  --tx-rate R          transfers per second, network-wide (default ${DEFAULT_OPTIONS.txRate})
  --wallets W          accounts that send them (default ${DEFAULT_OPTIONS.wallets})
  --optimizers K       validators that optimize the quadratic domain (default ${DEFAULT_OPTIONS.optimizers})
  --loss P             probability that a message is lost (default ${DEFAULT_OPTIONS.loss})
  --jitter S           σ of the log-normal factor on each delay (default ${DEFAULT_OPTIONS.jitter})
  --uplink-mbps M      each node's uplink (default ${DEFAULT_OPTIONS.uplinkMbps})
  --partition A:B[:F]  split the network at A s, heal at B s, share F on one side (default ${DEFAULT_OPTIONS.partition === null ? "none" : `${DEFAULT_OPTIONS.partition.atMs / 1000}:${DEFAULT_OPTIONS.partition.healMs / 1000}:${DEFAULT_OPTIONS.partition.fraction}`}); "none"
  --preset P           devnet (2 s carrier blocks, 500 ms slots) or mainnet (60 s, 15 s) (default devnet)
  --periodic-only      a what-if: producers try only on the 1 s assembly alarm (nodes before slot wake-ups)
  --json FILE          write the whole report as JSON`;

function fail(message: string): never {
  console.error(`${message}\n${USAGE}`);
  process.exit(2);
}

function parse(argv: readonly string[]): { options: SimOptions; json: string | null } {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        ...Object.fromEntries(
          ["nodes", "validators", "degree", "peers", "seed", "duration", "settle", "tx-rate", "wallets", "optimizers", "loss", "jitter", "uplink-mbps", "partition", "preset", "json"].map((k) => [
            k,
            { type: "string" as const },
          ]),
        ),
        "periodic-only": { type: "boolean" as const },
      },
      strict: true,
    }) as { values: Record<string, string | boolean | undefined> });
  } catch (e) {
    fail(e instanceof Error ? e.message : String(e));
  }
  const num = (key: string, fallback: number, ok: (v: number) => boolean): number => {
    const raw = values[key];
    if (raw === undefined) return fallback;
    const v = Number(raw);
    if (typeof raw !== "string" || raw.trim() === "" || !Number.isFinite(v) || !ok(v)) fail(`--${key}: ${String(raw)} is out of range`);
    return v;
  };
  const int = (v: number): boolean => Number.isSafeInteger(v);
  const nodes = num("nodes", DEFAULT_OPTIONS.nodes, (v) => int(v) && v >= 2 && v <= 100_000);
  const peers = num("peers", Math.min(DEFAULT_OPTIONS.peers, nodes - 1), (v) => int(v) && v >= 1 && v <= 64);
  const degree = values["degree"] === "all" ? 64 : num("degree", DEFAULT_OPTIONS.degree, (v) => int(v) && v >= 1 && v <= 64);
  let partition = DEFAULT_OPTIONS.partition;
  const p = values["partition"];
  if (typeof p === "string") {
    if (p === "none") partition = null;
    else {
      const m = /^(\d+(?:\.\d+)?):(\d+(?:\.\d+)?)(?::(0?\.\d+))?$/.exec(p);
      if (m === null || Number(m[2]) <= Number(m[1])) fail("--partition: A:B[:F], seconds, B after A, 0 < F < 1");
      partition = { atMs: Number(m[1]) * 1000, healMs: Number(m[2]) * 1000, fraction: m[3] === undefined ? 0.5 : Number(m[3]) };
    }
  }
  const preset = values["preset"] ?? DEFAULT_OPTIONS.preset;
  if (preset !== "devnet" && preset !== "mainnet") fail("--preset: devnet or mainnet");
  const options: SimOptions = {
    ...DEFAULT_OPTIONS,
    nodes,
    validators: num("validators", nodes, (v) => int(v) && v >= 1 && v <= nodes),
    degree,
    peers,
    seed: num("seed", DEFAULT_OPTIONS.seed, int),
    durationMs: num("duration", DEFAULT_OPTIONS.durationMs / 1000, (v) => v > 0) * 1000,
    settleMs: num("settle", DEFAULT_OPTIONS.settleMs / 1000, (v) => v >= 0) * 1000,
    txRate: num("tx-rate", DEFAULT_OPTIONS.txRate, (v) => v >= 0),
    wallets: num("wallets", DEFAULT_OPTIONS.wallets, (v) => int(v) && v >= 0),
    optimizers: num("optimizers", DEFAULT_OPTIONS.optimizers, (v) => int(v) && v >= 0),
    loss: num("loss", DEFAULT_OPTIONS.loss, (v) => v >= 0 && v < 1),
    jitter: num("jitter", DEFAULT_OPTIONS.jitter, (v) => v >= 0 && v <= 2),
    uplinkMbps: num("uplink-mbps", DEFAULT_OPTIONS.uplinkMbps, (v) => v > 0),
    partition,
    preset,
    slotAlarm: values["periodic-only"] !== true,
  };
  return { options, json: typeof values["json"] === "string" ? values["json"] : null };
}

const argv = process.argv.slice(2);
if (argv.includes("--help") || argv.includes("-h")) {
  console.log(USAGE);
  process.exit(0);
}
const { options, json } = parse(argv);
console.log(`simulating ${options.nodes} nodes (D = ${options.degree}, ${options.peers} peers each, ${options.preset}, seed ${options.seed}) for ${(options.durationMs + options.settleMs) / 1000} s`);
const report = await runSimulation(options, (p) =>
  console.log(`  t = ${(p.simMs / 1000).toFixed(0).padStart(4)} s  height ${String(p.height).padStart(4)}  ${p.events.toLocaleString("en-US")} events  ${p.wallSeconds.toFixed(1)} s`),
);
const rows = reportRows(report);
console.log(`\n${formatTable(rows)}`);
console.log(
  `\n${report.converged ? "every node's head is on one chain" : `NOT converged: heads ${report.heightSpread} blocks apart`}; ${report.sync.syncs} syncs (${report.sync.blocksViaSync} blocks), ${report.sync.faultyPeers} peers found faulty; ${report.validations.runs} block validations for ${report.validations.runs + report.validations.cached} deliveries; ${report.wallSeconds.toFixed(0)} s`,
);
console.log(`written to ${recordResults(rows)}`);
if (json !== null) writeFileSync(json, `${JSON.stringify(report, null, 2)}\n`);
