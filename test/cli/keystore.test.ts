/**
 * The keystore (docs/KEYSTORE.md): a key round-trips under its passphrase at
 * the default cost, a wrong passphrase and any edited field are refused,
 * files are the owner's alone; and the amounts a user types become exact
 * base units.
 */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { formatCoin, formatFixed, parseCoin, parseFee } from "../../cli/amount.ts";
import { CliError } from "../../cli/errors.ts";
import { decryptKey, DEFAULT_LOG_N, encryptKey, Keystore, parseKeyFile, type KeyFile } from "../../cli/keystore.ts";
import { bytesToHex } from "../../core/hex.ts";
import { addressFromPublicKey, publicKeyFromSecret } from "../../core/keys.ts";

const dir = mkdtempSync(join(tmpdir(), "doin-keystore-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const codeOf = async (p: Promise<unknown>): Promise<string> => {
  try {
    await p;
  } catch (e) {
    if (e instanceof CliError) return e.code;
    throw e;
  }
  return "no error";
};

describe("keystore", () => {
  it("round-trips a key at the default cost (scrypt 2^17); the file holds no secret and is the owner's alone", async () => {
    const ks = new Keystore(join(dir, "default"));
    const secret = crypto.getRandomValues(new Uint8Array(32));
    const info = await ks.add("alice", secret, "correct horse battery");
    expect(info).toMatchObject({ name: "alice", publicKey: publicKeyFromSecret(secret), address: addressFromPublicKey(publicKeyFromSecret(secret)) });
    const file = JSON.parse(readFileSync(info.file, "utf8")) as KeyFile;
    expect(file).toMatchObject({ version: 1, kdf: { name: "scrypt", n: 2 ** DEFAULT_LOG_N, r: 8, p: 1 }, cipher: { name: "xchacha20-poly1305" } });
    // the secret is nowhere in the file
    expect(readFileSync(info.file, "utf8")).not.toContain(bytesToHex(secret));
    expect(statSync(info.file).mode & 0o777).toBe(0o600);
    expect(statSync(ks.dir).mode & 0o777).toBe(0o700);

    expect(bytesToHex(await ks.unlock("alice", "correct horse battery"))).toBe(bytesToHex(secret));
    // (a wrong passphrase at this cost: the next test refuses it at a low one, as it does every edited field)
    expect(await codeOf(ks.unlock("bob", "correct horse battery"))).toBe("UNKNOWN_KEY");
  }, 60_000);

  it("refuses a wrong passphrase, and a file whose public key, cost, salt, nonce or ciphertext was edited (all are authenticated); the unedited file opens", async () => {
    const secret = crypto.getRandomValues(new Uint8Array(32));
    const file = await encryptKey(secret, "passphrase!", { name: "k", logN: 10 });
    expect(bytesToHex(await decryptKey(file, "passphrase!"))).toBe(bytesToHex(secret)); // positive control
    expect(await codeOf(decryptKey(file, "passphrase?"))).toBe("WRONG_PASSPHRASE");
    const other = publicKeyFromSecret(crypto.getRandomValues(new Uint8Array(32)));
    const flip = (hex: string) => `${hex.slice(0, -1)}${hex.endsWith("0") ? "1" : "0"}`;
    const edits: KeyFile[] = [
      { ...file, publicKey: other, address: addressFromPublicKey(other) },
      { ...file, kdf: { ...file.kdf, n: 2 ** 11 } },
      { ...file, kdf: { ...file.kdf, salt: flip(file.kdf.salt) } },
      { ...file, cipher: { ...file.cipher, nonce: flip(file.cipher.nonce) } },
      { ...file, ciphertext: flip(file.ciphertext) },
    ];
    for (const e of edits) expect(await codeOf(decryptKey(parseKeyFile(e, "edited"), "passphrase!"))).toBe("WRONG_PASSPHRASE");
    // an address that does not belong to the key, or a cost out of bounds, is refused before any work
    expect(() => parseKeyFile({ ...file, address: "00".repeat(20) }, "f")).toThrow(/address does not belong/);
    expect(() => parseKeyFile({ ...file, kdf: { ...file.kdf, n: 2 ** 24 } }, "f")).toThrow(/kdf.n must be a power of two/);
  });

  it("never overwrites a key, nor stores one key twice; finds keys by name, address or public key", async () => {
    const ks = new Keystore(join(dir, "names"));
    const secret = crypto.getRandomValues(new Uint8Array(32));
    const info = await ks.add("one", secret, "passphrase!", { logN: 10 });
    expect(await codeOf(ks.add("one", crypto.getRandomValues(new Uint8Array(32)), "passphrase!", { logN: 10 }))).toBe("KEY_EXISTS");
    expect(await codeOf(ks.add("two", secret, "passphrase!", { logN: 10 }))).toBe("KEY_EXISTS");
    expect(await codeOf(ks.add("../evil", secret, "passphrase!", { logN: 10 }))).toBe("BAD_KEY_NAME");
    expect(ks.find(info.address)?.name).toBe("one");
    expect(ks.find(info.publicKey)?.name).toBe("one");
    expect(ks.list().map((k) => k.name)).toEqual(["one"]);
    writeFileSync(join(ks.dir, "broken.json"), "{not json");
    expect(await codeOf(Promise.resolve().then(() => ks.read("broken")))).toBe("KEYSTORE_DAMAGED");
  });
});

describe("amounts", () => {
  it("DOIN ⇄ base units exactly", () => {
    expect(parseCoin("1.5")).toBe(150_000_000n);
    expect(parseCoin("0.00000001")).toBe(1n);
    expect(parseCoin("21000000")).toBe(2_100_000_000_000_000n);
    expect(parseFee("0")).toBe(0n);
    expect(formatCoin(150_000_000n)).toBe("1.5");
    expect(formatCoin("100000")).toBe("0.001");
    expect(formatFixed(-12_345_678n)).toBe("-12.345678");
    for (const bad of ["", "1.2.3", "1,5", "-1", "+1", "1e3", "0", "0.000000001", ".5", "5.", "01", " ", "NaN", "99999999999999999999"]) {
      expect(() => parseCoin(bad), bad).toThrow(CliError);
    }
  });

  it("parseCoin(formatCoin(x)) = x for every positive amount (property)", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: 2n ** 62n }), (x) => parseCoin(formatCoin(x)) === x),
      { numRuns: 500 },
    );
  });
});
