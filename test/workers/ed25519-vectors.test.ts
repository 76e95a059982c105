// The SAME ed25519.json vectors as test/core/keys.test.ts, run inside workerd
// (BoringSSL WebCrypto): passing here and in Node shows the two runtimes give
// every vector the same verdict once checkSignatureEncoding has run.
import { describe, expect, it } from "vitest";
import { checkSignatureEncoding, verifyAll, verifySignature, verifySignatureNoble } from "../../core/keys.ts";
import { hexToBytes } from "../../core/hex.ts";
import { ed25519Vectors } from "../vectors/ed25519-fixture.ts";

const ED = ed25519Vectors();

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
