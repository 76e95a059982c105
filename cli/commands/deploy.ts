/**
 * doin deploy init|check: a network of nodes on Cloudflare (cli/deploy/).
 */
import { relative } from "node:path";
import { Command, Option } from "commander";
import { deployCheck } from "../deploy/check.ts";
import { deployInit } from "../deploy/init.ts";
import { CliError, EXIT, usage } from "../errors.ts";
import type { Action } from "../main.ts";

const list = (text: string | undefined): string[] | undefined =>
  text === undefined
    ? undefined
    : text
        .split(",")
        .map((s) => s.trim())
        .filter((s) => s !== "");

export function registerDeployCommands(program: Command, action: Action): void {
  const deploy = program.command("deploy").description("deploy a network of DOIN nodes to Cloudflare Workers");

  deploy
    .command("init")
    .description("write the configuration of an N-node network: one Worker, D1 database and queues per node, validators' keys, genesis, peers, and the wrangler commands")
    .requiredOption("--nodes <n>", "how many nodes (each a genesis validator)")
    .requiredOption("--network <name>", "the network id (doin-mainnet: the long-lived rules; any other name: the devnet's fast blocks)")
    .option("--out <dir>", "where to write it (default deploy/<network>)")
    .option("--subdomain <sub>", "your account's workers.dev subdomain: node URLs are https://<network>-node<i>.<sub>.workers.dev")
    .option("--urls <a,b,…>", "or each node's URL (custom domains), in order")
    .option("--plugin-package <dir>", "declare a plugin package's domains to the network (repeatable)", (v: string, prev: string[] = []) => [...prev, v])
    .option("--optimize <domains>", "domains every node's runners optimize (default quadratic and the packages' domains; \"\" for none)")
    .addOption(new Option("--force", "write over an existing deployment folder (a new network: new keys)"))
    .action(
      action(async (ctx, cmd) => {
        const o = cmd.opts<{ nodes: string; network: string; out?: string; subdomain?: string; urls?: string; pluginPackage?: string[]; optimize?: string; force?: boolean }>();
        const nodes = Number(o.nodes);
        if (!/^[0-9]+$/.test(o.nodes)) throw usage(`--nodes: ${JSON.stringify(o.nodes)} is not a number of nodes`);
        const urls = list(o.urls);
        const optimize = list(o.optimize);
        const r = deployInit({
          nodes,
          network: o.network,
          out: o.out ?? `deploy/${o.network}`,
          ...(o.subdomain === undefined ? {} : { subdomain: o.subdomain }),
          ...(urls === undefined ? {} : { urls }),
          pluginPackages: o.pluginPackage ?? [],
          ...(optimize === undefined ? {} : { optimize }),
          force: o.force === true,
        });
        ctx.out.result(r, () => [
          `network ${r.network}: ${r.nodes.length} node${r.nodes.length === 1 ? "" : "s"}, genesis ${r.genesis}`,
          ...r.nodes.map((n) => `  ${n.env}  ${n.url}  validator ${n.address}`),
          `written to ${r.dir} (secrets in ${r.dir}/secrets: keep them, never commit them)`,
          ...r.warnings.map((w) => `warning: ${w}`),
          "",
          `check it: doin deploy check --dir ${relative(process.cwd(), r.dir) || "."}`,
          "then, with `npx wrangler login` done (also in commands.sh):",
          ...r.commands,
        ]);
      }),
    );

  deploy
    .command("check")
    .description("validate a deployment offline: settings, one genesis, secrets, peers, and `wrangler deploy --dry-run` of every node")
    .option("--dir <dir>", "the deployment folder (default: the only one under deploy/)")
    .option("--no-bundle", "skip the wrangler dry-run bundles")
    .action(
      action(async (ctx, cmd) => {
        const o = cmd.opts<{ dir?: string; bundle: boolean }>();
        const dir = o.dir ?? (await onlyDeployment());
        const progress = ctx.out.progress(`checking ${dir}`);
        const r = await deployCheck({ dir, bundle: o.bundle, onProgress: (t) => progress.update(t) }).finally(() => progress.stop());
        ctx.out.result(r, () => [
          `${r.ok ? "ok" : "PROBLEMS"}: network ${r.network ?? "?"}, genesis ${r.genesis ?? "(no single genesis)"}`,
          ...r.nodes.map(
            (n) =>
              `  ${n.env}  ${n.url}  genesis ${n.genesis?.slice(0, 12) ?? "?"}  secrets ${Object.entries(n.secrets).map(([k, v]) => `${k} ${v}`).join(", ")}` +
              (n.bundle === null ? "" : n.bundle.ok ? `  bundle ${Math.round((n.bundle.bytes ?? 0) / 1024)} KiB` : "  bundle FAILED"),
          ),
          ...r.problems.map((p) => `problem: ${p}`),
          ...r.warnings.map((w) => `warning: ${w}`),
          ...r.pending.map((p) => `to do: ${p}`),
        ]);
        if (!r.ok) throw new CliError("DEPLOY_CHECK_FAILED", `${r.problems.length} problem${r.problems.length === 1 ? "" : "s"} in ${r.dir}${ctx.out.json ? "" : " (listed above)"}`, EXIT.DEPLOY, undefined, true);
      }),
    );
}

/** deploy/<network> when there is exactly one. */
async function onlyDeployment(): Promise<string> {
  const { existsSync, readdirSync } = await import("node:fs");
  const found = existsSync("deploy") ? readdirSync("deploy").filter((d) => existsSync(`deploy/${d}/wrangler.json`)) : [];
  if (found.length === 1) return `deploy/${found[0] as string}`;
  throw usage(found.length === 0 ? "no deployment under deploy/: pass --dir" : `several deployments under deploy/ (${found.join(", ")}): pass --dir`);
}
