import { describe, expect, it, vi } from "vitest";
import { exports } from "cloudflare:workers";

describe("node worker", () => {
  it("answers /health with its network id", async () => {
    const res = await exports.default.fetch("http://node/health");
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body).toMatchObject({ ok: true, network: "doin-devnet", protocol: 1 });
  });

  // wrangler.toml ships GENESIS_VALIDATORS = "": a network where nobody may evaluate
  it("says at start (a log line) and in /status that a network without evaluators can never decide a round", async () => {
    const warn = vi.spyOn(console, "warn");
    try {
      const res = await exports.default.fetch("http://node/status");
      expect(res.status).toBe(200);
      const body = (await res.json()) as { quorum: { evaluators: number; problem: string | null; message: string | null } };
      expect(body.quorum).toMatchObject({ evaluators: 0, evaluatorsBesidesSelf: 0, problem: "NO_EVALUATORS" });
      expect(body.quorum.message).toContain("GENESIS_VALIDATORS");
      expect(warn.mock.calls.map((c) => String(c[0]))).toContainEqual(expect.stringMatching(/^quorum: NO_EVALUATORS: no account has the reputation to evaluate/));
    } finally {
      warn.mockRestore();
    }
  });
});
