import { describe, expect, it } from "vitest";
import { exports } from "cloudflare:workers";

describe("node worker", () => {
  it("answers /health with its network id", async () => {
    const res = await exports.default.fetch("http://node/health");
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body).toMatchObject({ ok: true, network: "doin-devnet", protocol: 1 });
  });
});
