/** A test network's newcomer getting its first coin: POST /faucet on a node, then until the transfer is on its chain. */
import { until } from "./until.ts";

/** The faucet's grant on the local testnet (FAUCET_DOIN in testnet/harness.ts), in base units. */
export const FAUCET_GRANT = 10n * 100_000_000n;

export async function fromFaucet(nodeUrl: string, address: string, timeoutMs = 60_000): Promise<bigint> {
  const r = await fetch(`${nodeUrl}/faucet`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ address }) });
  if (r.status !== 202) throw new Error(`POST /faucet: ${r.status} ${await r.text()}`);
  return until(
    `the faucet's coin for ${address}`,
    async () => {
      const a = (await (await fetch(`${nodeUrl}/chain/account/${address}`)).json()) as { balance: string };
      return BigInt(a.balance) >= FAUCET_GRANT ? BigInt(a.balance) : undefined;
    },
    { timeoutMs, everyMs: 300 },
  );
}
