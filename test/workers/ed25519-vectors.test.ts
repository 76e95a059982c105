// The SAME ed25519.json vectors as test/core/keys.test.ts, run inside workerd
// (BoringSSL WebCrypto): passing here and in Node shows the two runtimes give
// every vector the same verdict once checkSignatureEncoding has run.
import { describe, expect, it } from "vitest";
import { checkSignatureEncoding, verifyAll, verifySignature, verifySignatureNoble } from "../../core/keys.ts";
import { hexToBytes } from "../../core/hex.ts";
import ed25519Json from "../vectors/ed25519.json";

interface EdVector {
  readonly name: string;
  readonly secret: string | null;
  readonly pub: string;
  readonly msg: string;
  readonly sig: string;
  readonly expect: boolean;
  readonly noble: boolean;
  readonly precheck: string;
  readonly bare_equation: boolean | null;
  readonly reason: string;
}

const FIELDS = ["bare_equation", "expect", "msg", "name", "noble", "precheck", "pub", "reason", "secret", "sig"];
const CHECKS = ["ok", "bad_length", "non_canonical_s", "non_canonical_point", "small_order_point"];

function vectors(doc: unknown): readonly EdVector[] {
  expect(Object.keys(doc as object).sort()).toEqual(["description", "how_computed", "source", "vectors"]);
  return ((doc as { vectors: Record<string, unknown>[] }).vectors).map((v) => {
    expect(Object.keys(v).sort(), String(v["name"])).toEqual(FIELDS);
    for (const k of ["name", "pub", "msg", "sig", "reason"]) expect(typeof v[k]).toBe("string");
    for (const k of ["expect", "noble"]) expect(typeof v[k]).toBe("boolean");
    expect(CHECKS).toContain(v["precheck"]);
    return v as unknown as EdVector;
  });
}

const ED = vectors(ed25519Json);

describe("ed25519.json vectors in workerd (BoringSSL WebCrypto)", () => {
  it("runs inside workerd", () => {
    expect(navigator.userAgent).toBe("Cloudflare-Workers");
    expect(ED.length).toBeGreaterThan(60);
  });

  for (const v of ED) {
    it(v.name, async () => {
      const msg = hexToBytes(v.msg);
      expect(checkSignatureEncoding(v.pub, v.sig)).toBe(v.precheck);
      expect(await verifySignature(v.pub, msg, v.sig)).toBe(v.expect);
      expect(verifySignatureNoble(v.pub, msg, v.sig)).toBe(v.noble);
    });
  }

  it("verifyAll: valid vectors pass together, each invalid one is found", async () => {
    const items = ED.map((v) => ({ pub: v.pub, message: hexToBytes(v.msg), sig: v.sig }));
    const valid = items.filter((_, i) => ED[i]?.expect === true);
    expect(await verifyAll(valid)).toBe(-1);
    for (let i = 0; i < items.length; i++) {
      if (ED[i]?.expect === true) continue;
      expect(await verifyAll([...valid, items[i]!]), ED[i]?.name).toBe(valid.length);
    }
  });
});
