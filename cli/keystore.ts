/**
 * The local keystore: one file per Ed25519 key, its 32-byte secret seed
 * encrypted under a passphrase (scrypt → XChaCha20-Poly1305, both from
 * @noble: hashes and ciphers). The format is in docs/KEYSTORE.md; files are
 * written 0600 in a 0700 folder, atomically, never overwritten.
 */
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { xchacha20poly1305 } from "@noble/ciphers/chacha.js";
import { scryptAsync } from "@noble/hashes/scrypt.js";
import { canonicalBytes } from "../core/encoding.ts";
import { bytesToHex, hexToBytes, isHex } from "../core/hex.ts";
import { addressFromPublicKey, publicKeyFromSecret } from "../core/keys.ts";
import type { Address, PublicKeyHex } from "../core/types.ts";
import { CliError, EXIT } from "./errors.ts";

export const KEYSTORE_VERSION = 1;
/** scrypt's cost N = 2^17 (r 8, p 1: 128 MiB, ≈ 1–3 s in JavaScript), OWASP's recommendation for scrypt. */
export const DEFAULT_LOG_N = 17;
/** Bounds on the cost a file may ask for: 2^10 .. 2^20 (1 GiB of memory at r = 8). */
export const MIN_LOG_N = 10;
export const MAX_LOG_N = 20;

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** Whether `text` can name a key (1–64 of A–Z a–z 0–9 . _ -, starting with a letter or digit). */
export const isKeyName = (text: string): boolean => NAME_RE.test(text);

export interface KeyFile {
  readonly version: 1;
  readonly name: string;
  readonly publicKey: PublicKeyHex;
  readonly address: Address;
  readonly createdAt: string;
  readonly kdf: { readonly name: "scrypt"; readonly n: number; readonly r: number; readonly p: number; readonly salt: string };
  readonly cipher: { readonly name: "xchacha20-poly1305"; readonly nonce: string };
  readonly ciphertext: string;
}

export interface KeyInfo {
  readonly name: string;
  readonly publicKey: PublicKeyHex;
  readonly address: Address;
  readonly createdAt: string;
  readonly file: string;
}

const keystoreError = (code: string, message: string, hint?: string): CliError => new CliError(code, message, EXIT.KEYSTORE, hint);

/** The keystore folder: --keystore, else $DOIN_KEYSTORE, else ~/.doin/keys. */
export function keystoreDir(option?: string): string {
  return resolve(option ?? process.env["DOIN_KEYSTORE"] ?? join(homedir(), ".doin", "keys"));
}

/** The bytes the AEAD authenticates besides the secret: everything that decides how it is read. */
function associatedData(file: Pick<KeyFile, "version" | "publicKey" | "kdf" | "cipher">): Uint8Array {
  return canonicalBytes({ version: file.version, publicKey: file.publicKey, kdf: file.kdf, cipher: file.cipher });
}

async function deriveKey(passphrase: string, kdf: KeyFile["kdf"], onProgress?: (fraction: number) => void): Promise<Uint8Array> {
  return scryptAsync(passphrase.normalize("NFKC"), hexToBytes(kdf.salt), {
    N: kdf.n,
    r: kdf.r,
    p: kdf.p,
    dkLen: 32,
    maxmem: 2 ** (MAX_LOG_N + 7) * kdf.r + 1024,
    ...(onProgress === undefined ? {} : { onProgress }),
  });
}

/** Encrypts a 32-byte secret seed under a passphrase. */
export async function encryptKey(
  secret: Uint8Array,
  passphrase: string,
  opts: { readonly name: string; readonly logN?: number; readonly now?: Date; readonly onProgress?: (fraction: number) => void },
): Promise<KeyFile> {
  if (secret.length !== 32) throw new RangeError("an Ed25519 secret seed is 32 bytes");
  const logN = opts.logN ?? DEFAULT_LOG_N;
  if (!Number.isInteger(logN) || logN < MIN_LOG_N || logN > MAX_LOG_N) throw keystoreError("BAD_KDF_COST", `scrypt cost 2^${logN} is outside 2^${MIN_LOG_N}..2^${MAX_LOG_N}`);
  const publicKey = publicKeyFromSecret(secret);
  const header = {
    version: 1 as const,
    publicKey,
    kdf: { name: "scrypt" as const, n: 2 ** logN, r: 8, p: 1, salt: bytesToHex(crypto.getRandomValues(new Uint8Array(32))) },
    cipher: { name: "xchacha20-poly1305" as const, nonce: bytesToHex(crypto.getRandomValues(new Uint8Array(24))) },
  };
  const key = await deriveKey(passphrase, header.kdf, opts.onProgress);
  const sealed = xchacha20poly1305(key, hexToBytes(header.cipher.nonce), associatedData(header)).encrypt(secret);
  key.fill(0);
  return {
    version: header.version,
    name: opts.name,
    publicKey,
    address: addressFromPublicKey(publicKey),
    createdAt: (opts.now ?? new Date()).toISOString(),
    kdf: header.kdf,
    cipher: header.cipher,
    ciphertext: bytesToHex(sealed),
  };
}

/** Reads a key file's fields strictly (a damaged or foreign file says what is wrong). */
export function parseKeyFile(value: unknown, where: string): KeyFile {
  const bad = (what: string) => keystoreError("KEYSTORE_DAMAGED", `${where}: ${what}`, "restore the file from a backup, or import the key again");
  if (typeof value !== "object" || value === null) throw bad("not a DOIN key file");
  const o = value as Record<string, unknown>;
  if (o["version"] !== KEYSTORE_VERSION) throw bad(`version ${JSON.stringify(o["version"])} is not ${KEYSTORE_VERSION}`);
  const kdf = o["kdf"] as Record<string, unknown> | undefined;
  const cipher = o["cipher"] as Record<string, unknown> | undefined;
  if (typeof o["name"] !== "string" || !NAME_RE.test(o["name"])) throw bad("name");
  if (!isHex(o["publicKey"], 32)) throw bad("publicKey");
  if (o["address"] !== addressFromPublicKey(o["publicKey"])) throw bad("address does not belong to publicKey");
  if (typeof o["createdAt"] !== "string") throw bad("createdAt");
  if (kdf?.["name"] !== "scrypt" || !isHex(kdf["salt"]) || (kdf["salt"] as string).length < 32) throw bad("kdf");
  const n = kdf["n"];
  if (typeof n !== "number" || !Number.isInteger(Math.log2(n)) || n < 2 ** MIN_LOG_N || n > 2 ** MAX_LOG_N) throw bad(`kdf.n must be a power of two from 2^${MIN_LOG_N} to 2^${MAX_LOG_N}`);
  if (kdf["r"] !== 8 || kdf["p"] !== 1) throw bad("kdf.r must be 8 and kdf.p 1");
  if (cipher?.["name"] !== "xchacha20-poly1305" || !isHex(cipher["nonce"], 24)) throw bad("cipher");
  if (!isHex(o["ciphertext"], 48)) throw bad("ciphertext");
  return {
    version: 1,
    name: o["name"],
    publicKey: o["publicKey"],
    address: o["address"] as string,
    createdAt: o["createdAt"],
    kdf: { name: "scrypt", n, r: 8, p: 1, salt: kdf["salt"] as string },
    cipher: { name: "xchacha20-poly1305", nonce: cipher["nonce"] as string },
    ciphertext: o["ciphertext"] as string,
  };
}

/** The secret seed of a key file; WRONG_PASSPHRASE when the passphrase (or the file) does not open it. */
export async function decryptKey(file: KeyFile, passphrase: string, onProgress?: (fraction: number) => void): Promise<Uint8Array> {
  const key = await deriveKey(passphrase, file.kdf, onProgress);
  let secret: Uint8Array;
  try {
    secret = xchacha20poly1305(key, hexToBytes(file.cipher.nonce), associatedData(file)).decrypt(hexToBytes(file.ciphertext));
  } catch {
    throw keystoreError("WRONG_PASSPHRASE", `the passphrase does not open key ${file.name}`, "type it again; DOIN_PASSPHRASE or --passphrase-file may hold another key's passphrase");
  } finally {
    key.fill(0);
  }
  if (publicKeyFromSecret(secret) !== file.publicKey) throw keystoreError("KEYSTORE_DAMAGED", `key ${file.name}: the secret does not match its public key`);
  return secret;
}

/** A keystore folder. */
export class Keystore {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = dir;
  }

  static checkName(name: string): string {
    if (!NAME_RE.test(name)) throw keystoreError("BAD_KEY_NAME", `${JSON.stringify(name)} is not a key name`, "use 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit");
    return name;
  }

  private path(name: string): string {
    return join(this.dir, `${Keystore.checkName(name)}.json`);
  }

  list(): KeyInfo[] {
    if (!existsSync(this.dir)) return [];
    return readdirSync(this.dir)
      .filter((f) => f.endsWith(".json") && NAME_RE.test(f.slice(0, -5)))
      .sort()
      .map((f) => this.info(f.slice(0, -5)));
  }

  read(name: string): KeyFile {
    const path = this.path(name);
    if (!existsSync(path)) {
      const known = existsSync(this.dir) ? this.list().map((k) => k.name) : [];
      throw keystoreError("UNKNOWN_KEY", `no key ${JSON.stringify(name)} in ${this.dir}`, known.length === 0 ? "create one with `doin key new NAME`" : `the keystore holds: ${known.join(", ")}`);
    }
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(path, "utf8"));
    } catch (e) {
      throw keystoreError("KEYSTORE_DAMAGED", `${path}: ${e instanceof Error ? e.message : String(e)}`);
    }
    return parseKeyFile(json, path);
  }

  info(name: string): KeyInfo {
    const f = this.read(name);
    return { name, publicKey: f.publicKey, address: f.address, createdAt: f.createdAt, file: this.path(name) };
  }

  /** A key by name, or by its address or public key. */
  find(ref: string): KeyInfo | undefined {
    if (NAME_RE.test(ref) && existsSync(this.path(ref))) return this.info(ref);
    return this.list().find((k) => k.address === ref || k.publicKey === ref);
  }

  /** Refuses a name that is taken (before a passphrase is asked for nothing). */
  ensureFree(name: string): void {
    const path = this.path(name);
    if (existsSync(path)) throw keystoreError("KEY_EXISTS", `key ${name} already exists (${path})`, "choose another name; a key file is never overwritten");
  }

  /** Stores a new key; refuses to replace one. */
  async add(name: string, secret: Uint8Array, passphrase: string, opts: { readonly logN?: number; readonly onProgress?: (fraction: number) => void } = {}): Promise<KeyInfo> {
    this.ensureFree(name);
    const path = this.path(name);
    const pub = publicKeyFromSecret(secret);
    const same = this.list().find((k) => k.publicKey === pub);
    if (same !== undefined) throw keystoreError("KEY_EXISTS", `this key is already in the keystore as ${same.name}`);
    const file = await encryptKey(secret, passphrase, { name, ...opts });
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const tmp = `${path}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600, flag: "wx" });
    chmodSync(tmp, 0o600);
    renameSync(tmp, path);
    return this.info(name);
  }

  async unlock(name: string, passphrase: string, onProgress?: (fraction: number) => void): Promise<Uint8Array> {
    return decryptKey(this.read(name), passphrase, onProgress);
  }
}
