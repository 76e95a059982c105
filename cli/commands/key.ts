/**
 * doin key new|list|show|import|export: Ed25519 keys in the local keystore
 * (cli/keystore.ts). A secret is printed only by `export`, which is asking
 * for it.
 */
import { readFileSync, writeFileSync } from "node:fs";
import password from "@inquirer/password";
import { Command, Option } from "commander";
import { bytesToHex, hexToBytes, isHex } from "../../core/hex.ts";
import { CliError, EXIT, usage } from "../errors.ts";
import { DEFAULT_LOG_N, MAX_LOG_N, MIN_LOG_N, type KeyInfo } from "../keystore.ts";
import type { Action } from "../main.ts";
import { newPassphrase } from "../passphrase.ts";

const describe = (k: KeyInfo) => [`name        ${k.name}`, `address     ${k.address}`, `public key  ${k.publicKey}`, `file        ${k.file}`];

function kdfCost(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < MIN_LOG_N || n > MAX_LOG_N) throw usage(`--kdf-cost: ${text} is not an integer from ${MIN_LOG_N} to ${MAX_LOG_N}`);
  return n;
}

/** A secret seed from text: 64 hex characters, or a JSON object with NODE_SECRET or secret (a `doin deploy init` secrets file). */
function secretFromText(text: string, where: string): Uint8Array {
  let t = text.trim();
  if (t.startsWith("{")) {
    try {
      const o = JSON.parse(t) as Record<string, unknown>;
      t = String(o["NODE_SECRET"] ?? o["secret"] ?? "");
    } catch {
      throw usage(`${where}: not JSON nor 64 hex characters`);
    }
  }
  t = t.toLowerCase().replace(/^0x/, "");
  if (!isHex(t, 32)) throw usage(`${where}: a secret seed is 64 hex characters (32 bytes)`);
  return hexToBytes(t);
}

/** Node N's key of the local testnet in `dir` (`npm start` keeps its seed in <dir>/testnet.json). */
async function testnetSecret(node: string, dir: string): Promise<Uint8Array> {
  const n = Number(node);
  if (!Number.isSafeInteger(n) || n < 1) throw usage(`--testnet-node: ${JSON.stringify(node)} is not a node number (1, 2, …)`);
  const { testnetNodeSecret, testnetSeed } = await import("../../testnet/identity.ts");
  const seed = testnetSeed(dir);
  if (seed === null) throw new CliError("NO_TESTNET", `no local testnet in ${dir} (no testnet.json)`, EXIT.USAGE, "start one with `npm start`, or name its folder with --testnet-dir");
  return hexToBytes(testnetNodeSecret(seed, n - 1));
}

async function readSecret(file: string | undefined): Promise<Uint8Array> {
  if (file !== undefined && file !== "-") {
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch (e) {
      throw new CliError("NO_SECRET", `--secret-file: ${e instanceof Error ? e.message : String(e)}`, EXIT.USAGE);
    }
    return secretFromText(text, file);
  }
  if (process.stdin.isTTY === true && file === undefined) {
    return secretFromText(await password({ message: "secret seed (64 hex characters)", mask: "*" }, { output: process.stderr }), "the secret");
  }
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return secretFromText(Buffer.concat(chunks).toString("utf8"), "standard input");
}

export function registerKeyCommands(program: Command, action: Action): void {
  const key = program.command("key").description("keys in the local keystore (encrypted with a passphrase)");

  key
    .command("new")
    .description("create a new random key")
    .argument("<name>", "the key's name in the keystore")
    .addOption(new Option("--kdf-cost <log2N>", `scrypt cost as log2 N (${MIN_LOG_N}..${MAX_LOG_N})`).default(String(DEFAULT_LOG_N)))
    .action(
      action(async (ctx, cmd) => {
        const name = cmd.args[0] as string;
        const logN = kdfCost(cmd.opts<{ kdfCost: string }>().kdfCost);
        ctx.keystore.ensureFree(name);
        const pass = await newPassphrase(name, ctx.passphraseOptions);
        const progress = ctx.out.progress(`encrypting key ${name} (scrypt 2^${logN})`);
        const info = await ctx.keystore.add(name, crypto.getRandomValues(new Uint8Array(32)), pass, { logN }).finally(() => progress.stop());
        ctx.out.result(info, () => [`created key ${name}`, ...describe(info)]);
      }),
    );

  key
    .command("list")
    .description("the keys in the keystore (names, addresses; never secrets)")
    .action(
      action(async (ctx) => {
        const keys = ctx.keystore.list();
        ctx.out.result(keys, () => (keys.length === 0 ? `no keys in ${ctx.keystore.dir} (doin key new NAME)` : keys.map((k) => `${k.name.padEnd(20)} ${k.address}`)));
      }),
    );

  key
    .command("show")
    .description("a key's address and public key (never its secret)")
    .argument("<name>", "key name, address or public key")
    .action(
      action(async (ctx, cmd) => {
        const ref = cmd.args[0] as string;
        const info = ctx.keystore.find(ref) ?? ctx.keystore.info(ref);
        ctx.out.result(info, () => describe(info));
      }),
    );

  key
    .command("import")
    .description("add an existing secret seed (from --secret-file, a local testnet node, standard input, or a hidden prompt)")
    .argument("<name>", "the key's name in the keystore")
    .option("--secret-file <file>", "a file with the 64-hex seed, or a secrets JSON written by `doin deploy init` (NODE_SECRET); - for standard input")
    .option("--testnet-node <n>", "the key of node N of the local testnet (a genesis validator: 1,000 DOIN and the reputation to evaluate)")
    .addOption(new Option("--testnet-dir <dir>", "the local testnet's folder").default(".state/testnet"))
    .addOption(new Option("--kdf-cost <log2N>", `scrypt cost as log2 N (${MIN_LOG_N}..${MAX_LOG_N})`).default(String(DEFAULT_LOG_N)))
    .action(
      action(async (ctx, cmd) => {
        const name = cmd.args[0] as string;
        const opts = cmd.opts<{ secretFile?: string; testnetNode?: string; testnetDir: string; kdfCost: string }>();
        const logN = kdfCost(opts.kdfCost);
        ctx.keystore.ensureFree(name);
        if (opts.secretFile !== undefined && opts.testnetNode !== undefined) throw usage("--secret-file and --testnet-node: one source at a time");
        const secret = opts.testnetNode !== undefined ? await testnetSecret(opts.testnetNode, opts.testnetDir) : await readSecret(opts.secretFile);
        const pass = await newPassphrase(name, ctx.passphraseOptions);
        const progress = ctx.out.progress(`encrypting key ${name} (scrypt 2^${logN})`);
        const info = await ctx.keystore.add(name, secret, pass, { logN }).finally(() => progress.stop());
        ctx.out.result(info, () => [`imported key ${name}`, ...describe(info)]);
      }),
    );

  key
    .command("export")
    .description("print a key's secret seed (64 hex), or write it to a file: whoever holds it controls the account")
    .argument("<name>", "key name")
    .option("--out <file>", "write the seed to this new file (mode 0600) instead of printing it")
    .action(
      action(async (ctx, cmd) => {
        const name = cmd.args[0] as string;
        const { out } = cmd.opts<{ out?: string }>();
        const { info, secret } = await ctx.unlock(name);
        const hex = bytesToHex(secret);
        if (out !== undefined) {
          try {
            writeFileSync(out, `${hex}\n`, { mode: 0o600, flag: "wx" });
          } catch (e) {
            throw new CliError("EXPORT_FAILED", `--out ${out}: ${e instanceof Error ? e.message : String(e)}`, EXIT.KEYSTORE, "the file must not exist yet");
          }
          ctx.out.result({ name, address: info.address, publicKey: info.publicKey, file: out }, () => `wrote the secret seed of ${name} to ${out}`);
          return;
        }
        ctx.out.note(`the secret seed of ${name}: whoever holds it controls ${info.address}`);
        ctx.out.result({ name, address: info.address, publicKey: info.publicKey, secret: hex }, () => hex);
      }),
    );
}
