/**
 * What every command gets from the global options: the node, the output
 * mode, the keystore, the wait limit, and the ways to name an account
 * (an address, a public key, or a key of the keystore).
 */
import { isHex } from "../core/hex.ts";
import { addressFromPublicKey } from "../core/keys.ts";
import type { Address } from "../core/types.ts";
import { usage } from "./errors.ts";
import { isKeyName, Keystore, keystoreDir, type KeyInfo } from "./keystore.ts";
import { DEFAULT_NODE, NodeClient } from "./node-client.ts";
import { Output } from "./output.ts";
import { passphraseFor } from "./passphrase.ts";

export interface GlobalOptions {
  readonly node?: string;
  readonly json?: boolean;
  readonly keystore?: string;
  readonly passphraseFile?: string;
  readonly timeout?: string;
}

export class Context {
  readonly out: Output;
  readonly keystore: Keystore;
  /** how long a command waits for the chain (inclusion, finality, verdicts), ms */
  readonly timeoutMs: number;
  private readonly nodeUrl: string;
  private readonly passphraseFile: string | undefined;
  private clientCache: NodeClient | null = null;

  constructor(opts: GlobalOptions) {
    this.out = new Output(opts.json === true);
    this.keystore = new Keystore(keystoreDir(opts.keystore));
    this.nodeUrl = opts.node ?? process.env["DOIN_NODE"] ?? DEFAULT_NODE;
    this.passphraseFile = opts.passphraseFile;
    const seconds = Number(opts.timeout ?? "300");
    if (!Number.isFinite(seconds) || seconds <= 0) throw usage(`--timeout: ${opts.timeout} is not a number of seconds`);
    this.timeoutMs = seconds * 1000;
  }

  get client(): NodeClient {
    this.clientCache ??= new NodeClient(this.nodeUrl);
    return this.clientCache;
  }

  /** Opens a key of the keystore (asks its passphrase). */
  async unlock(name: string): Promise<{ info: KeyInfo; secret: Uint8Array }> {
    const info = this.keystore.info(name);
    const passphrase = await passphraseFor(name, { passphraseFile: this.passphraseFile });
    const progress = this.out.progress(`opening key ${name}`);
    try {
      const secret = await this.keystore.unlock(name, passphrase);
      progress.stop();
      return { info, secret };
    } catch (e) {
      progress.stop();
      throw e;
    }
  }

  get passphraseOptions(): { passphraseFile: string | undefined } {
    return { passphraseFile: this.passphraseFile };
  }

  /** An account named by address (40 hex), public key (64 hex) or key name. */
  address(ref: string, what = "address"): Address {
    if (isHex(ref, 20)) return ref;
    if (isHex(ref, 32)) return addressFromPublicKey(ref);
    const key = isKeyName(ref) ? this.keystore.find(ref) : undefined;
    if (key !== undefined) return key.address;
    throw usage(
      `${what}: ${JSON.stringify(ref)} is neither an address (40 lower-case hex characters), a public key, nor a key in ${this.keystore.dir}`,
      "`doin key list` shows the keys; an address looks like 3f9a…(40 hex)",
    );
  }
}
