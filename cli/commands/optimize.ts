/**
 * doin optimize: take part as an optimizer without a node. The plugin comes
 * the way a runner gets it (gpu-runner/plugins.ts: built-ins, plugin
 * packages, --plugin modules; gpu-runner/external-plugin.ts for --external
 * workers over the JSON-lines protocol); cli/optimizer.ts does the rest.
 */
import { dirname, join } from "node:path";
import { Command, Option } from "commander";
import type { JsonValue } from "../../core/types.ts";
import { Island } from "../../gpu-runner/executors.ts";
import { startExternalPlugins } from "../../gpu-runner/external-plugin.ts";
import type { WorkerProcess } from "../../gpu-runner/worker-process.ts";
import { runnerPlugins } from "../../gpu-runner/plugins.ts";
import type { DomainPlugin } from "../../plugins/sdk.ts";
import { formatCoin } from "../amount.ts";
import { CliError, EXIT, usage } from "../errors.ts";
import { Journal } from "../journal.ts";
import type { Action } from "../main.ts";
import { domainOf, networkRules } from "../network.ts";
import { runOptimizer } from "../optimizer.ts";
import { parseFeeOption, Sender } from "../sender.ts";

const pluginError = (message: string, hint?: string) => new CliError("PLUGIN", message, EXIT.USAGE, hint);

function count(text: string | undefined, what: string, min = 1): number | null {
  if (text === undefined) return null;
  const n = Number(text);
  if (!/^[0-9]+$/.test(text) || !Number.isSafeInteger(n) || n < min) throw usage(`${what}: ${JSON.stringify(text)} is not an integer ≥ ${min}`);
  return n;
}

interface OptimizeCliOptions {
  domain: string;
  key?: string;
  plugin?: string[];
  pluginPackage?: string[];
  external?: string;
  externalTimeoutMs: string;
  optimizer?: string;
  optimizerConfig?: string;
  budget: string;
  rounds?: string;
  improvements?: string;
  fee: string;
  journal?: string;
  dryRun?: boolean;
}

async function loadPlugin(o: OptimizeCliOptions, log: (line: string) => void): Promise<{ plugin: DomainPlugin; worker: WorkerProcess | null }> {
  let byDomain: Map<string, DomainPlugin>;
  try {
    byDomain = await runnerPlugins({ packages: o.pluginPackage ?? [], modules: o.plugin ?? [] });
  } catch (e) {
    throw pluginError(
      `plugins: ${e instanceof Error ? e.message : String(e)}`,
      '--plugin MODULE takes a module whose default export is a DomainPlugin; --plugin-package DIR a folder with a "doin" package.json',
    );
  }
  let worker: WorkerProcess | null = null;
  if (o.external !== undefined) {
    const timeout = count(o.externalTimeoutMs, "--external-timeout-ms", 100) as number;
    try {
      const started = await startExternalPlugins(o.external, [o.domain], byDomain, { requestTimeoutMs: timeout, log });
      worker = started.worker;
      const served = started.plugins.find((p) => p.meta.id === o.domain);
      if (served === undefined) {
        await worker.close();
        throw pluginError(`the external worker (${o.external}) does not serve domain ${o.domain}`, `its hello lists: ${started.worker.hello?.domains.map((d) => d.id).join(", ") || "none"}`);
      }
      byDomain.set(o.domain, served);
    } catch (e) {
      if (e instanceof CliError) throw e;
      throw pluginError(
        `the external worker did not start: ${e instanceof Error ? e.message : String(e)}`,
        'the command must speak gpu-runner/PROTOCOL.md on stdio, e.g. "python3 gpu-runner/python/doin_worker.py"',
      );
    }
  }
  const plugin = byDomain.get(o.domain);
  if (plugin === undefined) throw pluginError(`no plugin for domain ${o.domain} (have: ${[...byDomain.keys()].join(", ")})`, "add --plugin MODULE, --plugin-package DIR or --external CMD");
  return { plugin, worker };
}

export function registerOptimizeCommand(program: Command, action: Action): void {
  program
    .command("optimize")
    .description("run a domain's optimizer here and put each improvement on chain with your own key: commit, reveal, the quorum's verdict, accept, reward")
    .requiredOption("--domain <domain>", "the domain to optimize (a domain of the network)")
    .option("--key <key>", "the optimizer's key (a key name); not needed with --dry-run")
    .option("--plugin <module>", "a module whose default export is a DomainPlugin (repeatable)", (v: string, prev: string[] = []) => [...prev, v])
    .option("--plugin-package <dir>", 'a plugin package folder (package.json with a "doin" field; repeatable)', (v: string, prev: string[] = []) => [...prev, v])
    .option("--external <command>", 'an external worker speaking gpu-runner/PROTOCOL.md, e.g. "python3 gpu-runner/python/doin_worker.py"')
    .addOption(new Option("--external-timeout-ms <ms>", "per-request timeout for the external worker").default("30000"))
    .option("--optimizer <name>", "the plugin's optimizer (default: its first)")
    .option("--optimizer-config <json>", "the optimizer's config")
    .addOption(new Option("--budget <n>", "evaluations per round").default("64"))
    .option("--rounds <n>", "stop after this many local rounds")
    .option("--improvements <n>", "stop once this many optimae were claimed (and their reward seen)")
    .addOption(new Option("--fee <auto|DOIN>", "the fee of each commit, reveal and accept").default("auto"))
    .option("--journal <file>", "where open optimae are kept between runs (default: optimae/<address>.json beside the keystore)")
    .option("--dry-run", "run rounds and show the claims, without signing or sending anything")
    .action(
      action(async (ctx, cmd) => {
        const o = cmd.opts<OptimizeCliOptions>();
        const rounds = count(o.rounds, "--rounds");
        const improvements = count(o.improvements, "--improvements");
        const budget = count(o.budget, "--budget") as number;
        const fee = parseFeeOption(o.fee);
        let optimizerConfig: JsonValue = {};
        if (o.optimizerConfig !== undefined) {
          try {
            optimizerConfig = JSON.parse(o.optimizerConfig) as JsonValue;
          } catch {
            throw usage("--optimizer-config must be JSON");
          }
        }
        if (o.dryRun !== true && o.key === undefined) throw usage("--key is required (the key that signs the optimae), or --dry-run");
        if (o.key !== undefined) ctx.keystore.info(o.key);
        const rules = await networkRules(ctx.client);
        const domain = domainOf(rules, o.domain);

        const { plugin, worker } = await loadPlugin(o, (line) => ctx.out.note(line));
        try {
          if (plugin.meta.higherIsBetter !== domain.rules.higherIsBetter) {
            throw pluginError(`the plugin's ${o.domain} is ${plugin.meta.higherIsBetter ? "higher" : "lower"}-is-better, the network's is not`, "the plugin is for another version of the domain");
          }
          const names = Object.keys(plugin.optimizers);
          if (o.optimizer !== undefined && !names.includes(o.optimizer)) throw pluginError(`domain ${o.domain} has no optimizer ${o.optimizer}`, `it has: ${names.join(", ")}`);

          let sender: Sender | null = null;
          let journal: Journal | null = null;
          let runnerId = "doin-dry-run";
          if (o.dryRun !== true) {
            const { info, secret } = await ctx.unlock(o.key as string);
            sender = new Sender(ctx.client, secret, rules.network);
            journal = new Journal(o.journal ?? join(dirname(ctx.keystore.dir), "optimae", `${info.address}.json`), info.address);
            runnerId = `doin-${info.name}`;
          }
          const island = new Island(plugin, { runnerId, ...(o.optimizer === undefined ? {} : { optimizer: o.optimizer }), optimizerConfig, budget, migrateEvery: 1 });
          const device = worker === null ? "this process (TypeScript)" : `external worker on ${worker.hello?.device ?? "?"} (torch ${worker.hello?.torch ?? "none"})`;
          ctx.out.event(
            {
              event: "start",
              domain: o.domain,
              optimizer: island.optimizerName,
              device,
              address: sender?.address ?? null,
              node: ctx.client.url,
              bond: domain.bond.toString(),
              dryRun: sender === null,
            },
            () =>
              `optimizing ${o.domain} with ${island.optimizerName} on ${device}${sender === null ? " (dry run)" : ` as ${sender.address}`} against ${ctx.client.url}` +
              `${domain.bond > 0n ? `; each commit locks a bond of ${formatCoin(domain.bond)} DOIN` : ""}`,
          );

          const stop = new AbortController();
          const onSignal = () => {
            if (stop.signal.aborted) process.exit(EXIT.INTERRUPTED);
            ctx.out.note("stopping after the current step (Ctrl-C again to quit now)");
            stop.abort();
          };
          process.on("SIGINT", onSignal);
          process.on("SIGTERM", onSignal);
          try {
            const summary = await runOptimizer({
              client: ctx.client,
              rules,
              domainId: o.domain,
              domain,
              island,
              sender,
              journal,
              fee,
              rounds,
              improvements,
              timeoutMs: ctx.timeoutMs,
              out: ctx.out,
              signal: stop.signal,
            });
            ctx.out.event(
              { event: "done", ...summary, rewardDOIN: formatCoin(summary.reward) },
              () =>
                `done: ${summary.rounds} rounds, ${summary.committed} committed, ${summary.claimed} claimed, ${summary.rejected} rejected, ${summary.expired} expired, ${summary.superseded} superseded; ` +
                `rewards ${formatCoin(summary.reward)} DOIN${summary.rewardPending > 0 ? ` (${summary.rewardPending} still to come: their work block needs more verified work on the network)` : ""}`,
            );
          } finally {
            process.off("SIGINT", onSignal);
            process.off("SIGTERM", onSignal);
          }
        } finally {
          await worker?.close();
        }
      }),
    );
}
