/**
 * `doin`: the command for the network's users and operators. Composition
 * root: the global options, the commands (cli/commands/*), and the one place
 * that turns any failure into one line and an exit code (cli/errors.ts):
 * no stack trace reaches a user unless DOIN_DEBUG=1.
 */
import { Command, CommanderError, Option } from "commander";
import { registerChainCommands } from "./commands/chain.ts";
import { registerDeployCommands } from "./commands/deploy.ts";
import { registerKeyCommands } from "./commands/key.ts";
import { registerOptimizeCommand } from "./commands/optimize.ts";
import { registerTransferCommand } from "./commands/transfer.ts";
import { Context, type GlobalOptions } from "./context.ts";
import { adviceFor, CliError, EXIT } from "./errors.ts";
import { toJson } from "./output.ts";
import { CLI_VERSION } from "./version.ts";

/** Runs a command's body with the context built from the global options. */
export type Action = (body: (ctx: Context, cmd: Command) => Promise<void>) => (...args: unknown[]) => Promise<void>;

const action: Action = (body) => async (...args) => {
  const cmd = args[args.length - 1] as Command;
  await body(new Context(cmd.optsWithGlobals<GlobalOptions>()), cmd);
};

export function buildProgram(): Command {
  const program = new Command("doin")
    .description("DOIN: keys, transactions, optimization and deployment for a DOIN network")
    .version(CLI_VERSION, "-V, --version")
    .addOption(new Option("--node <url>", "the node to talk to (default $DOIN_NODE, else the local testnet's first node http://127.0.0.1:8787)"))
    .option("--json", "print JSON only (one document, or one line per event for follow and optimize)")
    .addOption(new Option("--keystore <dir>", "the keystore folder (default $DOIN_KEYSTORE, else ~/.doin/keys)"))
    .addOption(new Option("--passphrase-file <file>", "read the keystore passphrase from a file's first line (else $DOIN_PASSPHRASE, else a prompt)"))
    .addOption(new Option("--timeout <seconds>", "how long to wait for the chain (inclusion, finality, verdicts)").default("300"))
    .showHelpAfterError(false)
    .exitOverride()
    .configureOutput({ outputError: () => undefined });
  program.addHelpText(
    "after",
    `
Exit codes: 0 ok · 1 internal error · 2 usage · 3 keystore · 4 node unreachable · 5 refused by the node
            6 not found · 7 timed out · 8 failed on chain (dropped, rejected) · 9 deploy check failed · 130 interrupted
Every command takes --help.`,
  );
  registerKeyCommands(program, action);
  registerChainCommands(program, action);
  registerTransferCommand(program, action);
  registerOptimizeCommand(program, action);
  registerDeployCommands(program, action);
  return program;
}

function report(e: CliError, json: boolean): void {
  const hint = e.hint ?? adviceFor(e.code);
  if (json && e.reportedInJson) return;
  if (json) process.stdout.write(`${toJson({ error: { code: e.code, message: e.message, hint: hint ?? null, exit: e.exit } })}\n`);
  else process.stderr.write(`doin: ${e.code}: ${e.message.replace(/\s*\n\s*/g, " ")}${hint === undefined ? "" : ` — ${hint}`}\n`);
}

/** Runs the command line; resolves to the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const json = argv.includes("--json");
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: "user" });
    return EXIT.OK;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.exitCode === 0 || e.code === "commander.helpDisplayed" || e.code === "commander.version") return EXIT.OK;
      if (e.code === "commander.help" || e.code === "commander.executeSubCommandAsync") return EXIT.USAGE;
      report(new CliError("USAGE", e.message.replace(/^error: /, ""), EXIT.USAGE, "--help lists the commands and options"), json);
      return EXIT.USAGE;
    }
    if (e instanceof CliError) {
      report(e, json);
      return e.exit;
    }
    const message = e instanceof Error ? e.message : String(e);
    if (process.env["DOIN_DEBUG"] !== undefined && e instanceof Error) process.stderr.write(`${e.stack}\n`);
    report(new CliError("INTERNAL", message, EXIT.INTERNAL, "a bug in doin: DOIN_DEBUG=1 prints the stack"), json);
    return EXIT.INTERNAL;
  }
}
