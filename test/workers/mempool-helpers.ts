// Shared by the mempool tests: signed transactions from seed-phrase keys, and
// a fake chain (the ChainDO's RPC methods the mempool uses) to install in a MempoolDO.
import type { ErrorCode } from "../../core/errors.ts";
import { runInDurableObject } from "cloudflare:test";
import { bytesToHex, hexToBytes } from "../../core/hex.ts";
import { addressFromPublicKey, publicKeyFromSecret, secretFromSeedPhrase } from "../../core/keys.ts";
import { createTx, txToWire } from "../../core/tx.ts";
import { QUADRATIC_DOMAIN } from "../../core/params.ts";
import type { JsonValue, Tx } from "../../core/types.ts";
import type { ChainLink, MempoolDO } from "../../durable-objects/mempool.ts";
import { failure, success, type AccountView, type ChainStatus, type Outcome, type ProduceResult, type TxScreen } from "../../durable-objects/rpc.ts";

export const NETWORK = "doin-devnet";
export const NODE_SECRET = hexToBytes("11".repeat(32));
export const NODE_ADDRESS = addressFromPublicKey(publicKeyFromSecret(NODE_SECRET));

export function key(name: string): { secret: Uint8Array; address: string } {
  const secret = secretFromSeedPhrase(name);
  return { secret, address: addressFromPublicKey(publicKeyFromSecret(secret)) };
}

let counter = 0;
/** A fresh 32-byte hex value (commitments, hashes). */
export function fresh(): string {
  counter++;
  const b = new Uint8Array(32);
  new DataView(b.buffer).setUint32(0, counter);
  crypto.getRandomValues(b.subarray(4));
  return bytesToHex(b);
}

export function commit(who: string, nonce: number, fee = 0n, opts: { network?: string } = {}): Tx {
  return createTx("commit", { domain: "quadratic", commitment: fresh() }, { secret: key(who).secret, nonce, fee, network: opts.network ?? NETWORK });
}

export function transfer(who: string, nonce: number, amount: bigint, fee = 0n): Tx {
  return createTx("transfer", { to: key("somebody").address, amount }, { secret: key(who).secret, nonce, fee, network: NETWORK });
}

export function wire(tx: Tx): Record<string, JsonValue> {
  return txToWire(tx) as Record<string, JsonValue>;
}

/** A commit locks the quadratic domain's bond: what a sender needs beyond fees to commit. */
export const BOND = QUADRATIC_DOMAIN.bond;

export class FakeChain implements ChainLink {
  readonly accounts = new Map<string, { balance: bigint; nonce: number }>();
  /** what an account never funded holds: enough for a few commits' bonds */
  defaultBalance = 10n * BOND;
  readonly known = new Set<string>();
  readonly produced: { candidates: JsonValue[]; nowMs: number }[] = [];
  produceWith: (candidates: JsonValue[], nowMs: number) => Outcome<ProduceResult> = () => failure("BELOW_THRESHOLD", "not yet");

  fund(address: string, balance: bigint, nonce = 0): this {
    this.accounts.set(address, { balance, nonce });
    return this;
  }

  /** produce() includes every candidate and advances the senders' nonces. */
  includeAll(): this {
    this.produceWith = (candidates) => {
      const ids: string[] = [];
      for (const c of candidates) {
        const w = c as { id: string; from: string; nonce: number };
        const address = addressFromPublicKey(w.from);
        const a = this.accounts.get(address) ?? { balance: 0n, nonce: 0 };
        this.accounts.set(address, { ...a, nonce: w.nonce });
        this.known.add(w.id);
        ids.push(w.id);
      }
      return success({ block: { hash: "ab".repeat(32) }, height: this.produced.length, included: ids, rejected: [] });
    };
    return this;
  }

  async status(): Promise<ChainStatus> {
    return { network: NETWORK, height: this.produced.length } as unknown as ChainStatus;
  }
  async account(address: string): Promise<AccountView> {
    const a = this.accounts.get(address) ?? { balance: this.defaultBalance, nonce: 0 };
    return { address, balance: a.balance.toString(), nonce: a.nonce, reputation: "0" };
  }
  async knownTxs(ids: string[]): Promise<string[]> {
    return ids.filter((id) => this.known.has(id));
  }
  /** admits everything (the real rules run against the real ChainDO in mempool-chain.test.ts) */
  async admission(_tx: Tx): Promise<{ code: ErrorCode; message: string } | null> {
    return null;
  }
  async screen(txs: readonly Tx[]): Promise<TxScreen[]> {
    return Promise.all(
      txs.map(async (tx) => {
        const a = await this.account(addressFromPublicKey(tx.from));
        return { known: this.known.has(tx.id), nonce: a.nonce, balance: a.balance, refusal: await this.admission(tx) };
      }),
    );
  }
  async nonces(senders: readonly string[]): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const s of senders) out[s] = (await this.account(s)).nonce;
    return out;
  }
  async produce(candidates: JsonValue[], nowMs: number): Promise<Outcome<ProduceResult>> {
    this.produced.push({ candidates, nowMs });
    return this.produceWith(candidates, nowMs);
  }
  /** null: the periodic try (the slot wake-up runs against the real ChainDO in mempool-chain.test.ts) */
  slotAt: number | null = null;
  async nextSlot(_nowMs: number): Promise<number | null> {
    return this.slotAt;
  }
}

/** Installs `chain` in the MempoolDO behind `stub` (in memory: an evicted object forgets it). */
export async function useChain(stub: DurableObjectStub<MempoolDO>, chain: ChainLink | null): Promise<void> {
  await runInDurableObject(stub, (instance: MempoolDO) => instance.useChainForTest(chain));
}
