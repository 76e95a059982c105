/**
 * Core benchmarks: signature verification and validation of a block of 100
 * signed transactions, each against the raw WebCrypto Ed25519 verify rate
 * measured in the same run (the bound: a block of 100 transactions cannot be
 * validated faster than 101 signatures can be verified).
 */
import { webcrypto } from "node:crypto";
import { genesisBlock } from "../core/genesis.ts";
import { hexToBytes } from "../core/hex.ts";
import { addressFromPublicKey, publicKeyFromSecret, secretFromSeedPhrase, sign, verifyAll } from "../core/keys.ts";
import { COIN_UNIT, devnetParams, FIXED_ONE } from "../core/params.ts";
import { applyBlock, buildBlock } from "../core/state-transition.ts";
import { parseBlock, blockToWire } from "../core/block.ts";
import { createTx } from "../core/tx.ts";
import type { BenchResult } from "./run.ts";
import { stateRootBenchmarks } from "./state-root.ts";

const TXS = 100;
const BATCH = TXS + 1;

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

async function timeFor(minMs: number, fn: () => Promise<void>): Promise<number> {
  // warm-up
  for (let i = 0; i < 2; i++) await fn();
  let n = 0;
  const start = performance.now();
  while (performance.now() - start < minMs) {
    await fn();
    n++;
  }
  return n / ((performance.now() - start) / 1000);
}

export async function coreBenchmarks(): Promise<BenchResult[]> {
  const secrets = Array.from({ length: TXS }, (_, i) => secretFromSeedPhrase(`bench-${i}`));
  const pubs = secrets.map(publicKeyFromSecret);
  const params = devnetParams({
    network: "doin-bench",
    maxTxsPerBlock: 500,
    // the first key is the one validator: only validators produce blocks, and it builds the benchmark's block
    genesisAccounts: pubs.map((p, i) => ({ address: addressFromPublicKey(p), balance: 1_000n * COIN_UNIT, reputation: i === 0 ? 5n * FIXED_ONE : 0n })),
  });
  const { state } = genesisBlock(params);
  const txs = secrets.map((secret, i) =>
    createTx("transfer", { to: addressFromPublicKey(pubs[(i + 1) % TXS] as string), amount: 1n }, { secret, nonce: 1, network: params.network, fee: 1n }),
  );
  const built = buildBlock(state, txs, params, { producerSecret: secrets[0] as Uint8Array, timestamp: state.tipTimestamp + params.carrierIntervalMs });
  if (!built.ok) throw new Error(built.error.message);
  const block = built.value.block;
  const wire = JSON.parse(JSON.stringify(blockToWire(block))) as unknown;

  // Raw bound: WebCrypto verify of the same 101 (key, message, signature)
  // triples, keys imported once, run concurrently as verifyAll does.
  const items = [
    { pub: block.header.producer, message: hexToBytes(block.hash), sig: block.sig },
    ...block.txs.map((t) => ({ pub: t.from, message: hexToBytes(t.id), sig: t.sig })),
  ];
  const subtle = webcrypto.subtle;
  const keys = await Promise.all(items.map((it) => subtle.importKey("raw", hexToBytes(it.pub), { name: "Ed25519" }, false, ["verify"])));
  const sigs = items.map((it) => hexToBytes(it.sig));
  const raw = async () => {
    const r = await Promise.all(items.map((it, i) => subtle.verify({ name: "Ed25519" }, keys[i] as webcrypto.CryptoKey, sigs[i] as Uint8Array, it.message)));
    if (r.includes(false)) throw new Error("raw verify failed");
  };
  const ours = async () => {
    if ((await verifyAll(items)) !== -1) throw new Error("verifyAll failed");
  };
  const validate = async () => {
    const r = await applyBlock(state, block, params);
    if (!r.ok) throw new Error(r.error.message);
  };
  const parseAndValidate = async () => {
    const p = parseBlock(wire, params);
    if (!p.ok) throw new Error(p.error.message);
    const r = await applyBlock(state, p.value, params);
    if (!r.ok) throw new Error(r.error.message);
  };
  // Interleaved rounds: each ratio compares figures taken back to back, and
  // the median over rounds discards rounds disturbed by other load.
  const rounds = 7;
  const rawRates: number[] = [];
  const sigRatios: number[] = [];
  const blockRatios: number[] = [];
  const oursRates: number[] = [];
  const blockRates: number[] = [];
  const parsedRates: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const rawPerSec = (await timeFor(250, raw)) * BATCH;
    const oursPerSec = (await timeFor(250, ours)) * BATCH;
    const blocksPerSec = await timeFor(250, validate);
    const rawAfter = (await timeFor(250, raw)) * BATCH;
    const bound = (rawPerSec + rawAfter) / 2;
    rawRates.push(bound);
    oursRates.push(oursPerSec);
    blockRates.push(blocksPerSec);
    sigRatios.push(oursPerSec / bound);
    blockRatios.push((blocksPerSec * BATCH) / bound);
    parsedRates.push(await timeFor(250, parseAndValidate));
  }
  const rawPerSec = median(rawRates);
  const oursPerSec = median(oursRates);
  const blocksPerSec = median(blockRates);
  const parsedBlocksPerSec = median(parsedRates);

  // A secondary figure: signing throughput (pure JS, @noble/ed25519).
  const msg = new Uint8Array(32);
  const signsPerSec = await timeFor(500, async () => {
    for (let i = 0; i < 50; i++) sign(secrets[0] as Uint8Array, msg);
  }) * 50;

  return [
    ...(await stateRootBenchmarks()),
    { name: "core.webcrypto_verify_per_second", value: rawPerSec, unit: "verifies/s", note: "raw bound, keys pre-imported, 101 concurrent" },
    { name: "core.signature_verify_per_second", value: oursPerSec, unit: "verifies/s", note: "verifyAll with encoding pre-checks" },
    { name: "core.signature_verify_ratio", value: median(sigRatios), unit: "ratio", note: `median of ${rounds} interleaved rounds; floor 0.8` },
    { name: "core.block_validation_per_second", value: blocksPerSec, unit: "blocks/s", note: `${TXS} signed transfers, applyBlock` },
    { name: "core.block_validation_ratio", value: median(blockRatios), unit: "ratio", note: "blocks/s ÷ (raw verifies/s ÷ 101), median of interleaved rounds; floor 0.8" },
    { name: "core.block_parse_and_validation_per_second", value: parsedBlocksPerSec, unit: "blocks/s", note: "from wire JSON" },
    { name: "core.sign_per_second", value: signsPerSec, unit: "signatures/s", note: "@noble/ed25519" },
  ];
}
