/**
 * Where a keystore passphrase comes from, first match wins:
 * --passphrase-file FILE (its first line), $DOIN_PASSPHRASE, or a hidden
 * prompt on the terminal. A script without a terminal must give one of the
 * first two.
 */
import { readFileSync } from "node:fs";
import password from "@inquirer/password";
import { CliError, EXIT } from "./errors.ts";

export interface PassphraseOptions {
  readonly passphraseFile?: string | undefined;
}

/** A new key's passphrase must be at least this long. */
export const MIN_PASSPHRASE = 8;

const noPassphrase = (): CliError =>
  new CliError("NO_PASSPHRASE", "a passphrase is needed and there is no terminal to ask it on", EXIT.KEYSTORE, "set DOIN_PASSPHRASE or pass --passphrase-file FILE");

function given(opts: PassphraseOptions): string | undefined {
  if (opts.passphraseFile !== undefined) {
    let text: string;
    try {
      text = readFileSync(opts.passphraseFile, "utf8");
    } catch (e) {
      throw new CliError("NO_PASSPHRASE", `--passphrase-file: ${e instanceof Error ? e.message : String(e)}`, EXIT.KEYSTORE);
    }
    return text.split(/\r?\n/)[0] ?? "";
  }
  return process.env["DOIN_PASSPHRASE"];
}

const interactive = (): boolean => process.stdin.isTTY === true && process.stderr.isTTY === true;

async function ask(message: string): Promise<string> {
  try {
    return await password({ message, mask: "*" }, { output: process.stderr });
  } catch (e) {
    // Ctrl-C at the prompt
    if (e instanceof Error && e.name === "ExitPromptError") throw new CliError("INTERRUPTED", "no passphrase given", EXIT.INTERRUPTED);
    throw e;
  }
}

/** The passphrase that opens key `name`. */
export async function passphraseFor(name: string, opts: PassphraseOptions): Promise<string> {
  const p = given(opts);
  if (p !== undefined) return p;
  if (!interactive()) throw noPassphrase();
  return ask(`passphrase of key ${name}`);
}

/** A passphrase for a new key: long enough, and typed twice when it is typed. */
export async function newPassphrase(name: string, opts: PassphraseOptions): Promise<string> {
  const short = (p: string) =>
    new CliError("WEAK_PASSPHRASE", `a key's passphrase needs at least ${MIN_PASSPHRASE} characters (got ${p.length})`, EXIT.KEYSTORE);
  const p = given(opts);
  if (p !== undefined) {
    if (p.length < MIN_PASSPHRASE) throw short(p);
    return p;
  }
  if (!interactive()) throw noPassphrase();
  const first = await ask(`new passphrase for key ${name}`);
  if (first.length < MIN_PASSPHRASE) throw short(first);
  const again = await ask("the same passphrase again");
  if (again !== first) throw new CliError("PASSPHRASE_MISMATCH", "the two passphrases differ", EXIT.KEYSTORE, "run the command again");
  return first;
}
