import { describe, expect, it, vi } from "vitest";
import { exports } from "cloudflare:workers";

describe("node worker", () => {
  it("answers /health with its network id", async () => {
    const res = await exports.default.fetch("http://node/health");
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body).toMatchObject({ ok: true, network: "doin-devnet", protocol: 1 });
  });

  // the Workers tests' network has four genesis validators (vitest.config.ts), the node among them; a
  // network without any is NO_EVALUATORS (test/core/quorum-outlook.test.ts, test/cli/deploy.test.ts)
  it("reports in /status who may evaluate, and logs no quorum problem where there is none", async () => {
    const warn = vi.spyOn(console, "warn");
    try {
      const res = await exports.default.fetch("http://node/status");
      expect(res.status).toBe(200);
      const body = (await res.json()) as { quorum: { evaluators: number; problem: string | null; message: string | null } };
      expect(body.quorum).toEqual({ evaluators: 4, evaluatorsBesidesSelf: 3, problem: null, message: null });
      expect(warn.mock.calls.map((c) => String(c[0]))).not.toContainEqual(expect.stringMatching(/^quorum:/));
    } finally {
      warn.mockRestore();
    }
  });
});
