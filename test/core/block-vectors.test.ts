/**
 * Whole-block vectors (test/vectors/blocks.json, by gen/gen_blocks.py): the
 * block transition restated in Python, independently of core/, pins
 * genesis, each block's post-state root, hash and receipts, and the error
 * code of each block it must refuse. Each case's chain is rebuilt here from
 * its parameters and applied block by block with core's applyWithReceipts
 * (signatures, the stateless checks of parseBlock, the transition).
 *
 * Controls: a transfer's amount changed in a vector block is refused (its id
 * no longer matches, and without that check the state root does not), and a
 * vector with one expectation off (a root, a receipt, a refusal) fails.
 */
import { describe, expect, it } from "vitest";
import { parseBlock, blockToWire } from "../../core/block.ts";
import { toWire, type Encodable } from "../../core/encoding.ts";
import { parseDomainList } from "../../core/domain-config.ts";
import { genesisBlock } from "../../core/genesis.ts";
import { publicKeyFromSecret, secretFromSeedPhrase } from "../../core/keys.ts";
import { devnetParams, paramsFor } from "../../core/params.ts";
import { stateRoot } from "../../core/state-root.ts";
import { applyWithReceipts, transitionWithReceipts } from "../../core/state-transition.ts";
import type { Block, ChainParams, ChainState, Tx } from "../../core/types.ts";
import { asArray, asObject, big, expectKeys, int, loadVectors, str, type Json, type JsonObject } from "./helpers/vectors.ts";

interface BlockVector {
  readonly note: string;
  readonly wire: Json;
  readonly hash: string;
  readonly stateRoot: string;
  readonly receipts: Json;
}

interface RefusedVector {
  readonly note: string;
  readonly after: number;
  readonly wire: Json;
  readonly error: string;
}

interface Case {
  readonly name: string;
  readonly params: ChainParams;
  readonly paramsWire: Json;
  readonly genesis: { readonly hash: string; readonly stateRoot: string };
  readonly blocks: readonly BlockVector[];
  readonly refused: readonly RefusedVector[];
}

function readCase(v: JsonObject, i: number): Case {
  const where = `blocks[${i}]`;
  expectKeys(v, ["name", "network", "validators", "overrides", "domains", "params", "genesis", "blocks", "refused"], [], where);
  const validators = asArray(v["validators"], `${where}.validators`).map((p, j) => publicKeyFromSecret(secretFromSeedPhrase(str(p, `${where}.validators[${j}]`))));
  const network = str(v["network"], `${where}.network`);
  // the devnet preset (paramsFor) with the case's overrides (a bigint parameter written as a decimal string)
  // domains beside the quadratic one, as the DOMAINS setting declares them
  const domains = parseDomainList(v["domains"]);
  if (!domains.ok) throw new Error(`${where}.domains: ${domains.error.message}`);
  const base = paramsFor(network, validators, domains.value);
  expect(base).toEqual({ ...devnetParams({ network }), genesisAccounts: base.genesisAccounts, domains: [...devnetParams().domains, ...domains.value] });
  const overrides: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(asObject(v["overrides"], `${where}.overrides`))) {
    const before = (base as unknown as Record<string, unknown>)[k];
    if (before === undefined) throw new Error(`${where}.overrides: unknown parameter ${k}`);
    overrides[k] = typeof before === "bigint" ? big(x, `${where}.overrides.${k}`) : x;
  }
  const params = { ...base, ...overrides } as ChainParams;
  const genesis = asObject(v["genesis"], `${where}.genesis`);
  expectKeys(genesis, ["hash", "stateRoot"], [], `${where}.genesis`);
  return {
    name: str(v["name"], `${where}.name`),
    params,
    paramsWire: v["params"] as Json,
    genesis: { hash: str(genesis["hash"], `${where}.genesis.hash`), stateRoot: str(genesis["stateRoot"], `${where}.genesis.stateRoot`) },
    blocks: asArray(v["blocks"], `${where}.blocks`).map((b, j) => {
      const o = asObject(b, `${where}.blocks[${j}]`);
      expectKeys(o, ["note", "block", "hash", "stateRoot", "receipts"], [], `${where}.blocks[${j}]`);
      return { note: str(o["note"], "note"), wire: o["block"] as Json, hash: str(o["hash"], "hash"), stateRoot: str(o["stateRoot"], "stateRoot"), receipts: o["receipts"] as Json };
    }),
    refused: asArray(v["refused"], `${where}.refused`).map((b, j) => {
      const o = asObject(b, `${where}.refused[${j}]`);
      expectKeys(o, ["note", "after", "block", "error"], [], `${where}.refused[${j}]`);
      return { note: str(o["note"], "note"), after: int(o["after"], "after"), wire: o["block"] as Json, error: str(o["error"], "error") };
    }),
  };
}

const CASES = loadVectors("blocks").map(readCase);

function parsed(c: Case, wire: Json): Block {
  const b = parseBlock(wire, c.params);
  if (!b.ok) throw new Error(`${b.error.code}: ${b.error.message}`);
  return b.value;
}

/** The case's genesis state and the state after each of its blocks, applied by core. */
async function replay(c: Case): Promise<ChainState[]> {
  const states = [genesisBlock(c.params).state];
  for (const v of c.blocks) {
    const r = await applyWithReceipts(states[states.length - 1] as ChainState, parsed(c, v.wire), c.params);
    if (!r.ok) throw new Error(`${c.name}, block ${states.length} (${v.note}): ${r.error.code}: ${r.error.message}`);
    states.push(r.value.state);
  }
  return states;
}

/** Every block of the case applies, in order, to the root, hash and receipts the vector states (throws otherwise). */
async function checkBlocks(c: Case): Promise<void> {
  let state = genesisBlock(c.params).state;
  for (const [i, v] of c.blocks.entries()) {
    const block = parsed(c, v.wire);
    // the wire form is canonical: core writes back exactly what the Python wrote
    expect(blockToWire(block)).toEqual(v.wire);
    const r = await applyWithReceipts(state, block, c.params);
    if (!r.ok) throw new Error(`block ${i + 1} (${v.note}): ${r.error.code}: ${r.error.message}`);
    expect(stateRoot(r.value.state), `block ${i + 1}: ${v.note}`).toBe(v.stateRoot);
    expect(r.value.state.tipHash).toBe(v.hash);
    expect(block.hash).toBe(v.hash);
    expect(toWire(r.value.receipts as unknown as Encodable), `block ${i + 1} receipts`).toEqual(v.receipts);
    state = r.value.state;
  }
}

/** Every refused block of the case is refused with the vector's code (throws otherwise). */
async function checkRefused(c: Case): Promise<void> {
  const states = await replay(c);
  for (const v of c.refused) {
    // parsed as a node parses a block from a peer (the stateless checks), then applied
    const p = parseBlock(v.wire, c.params);
    const r = p.ok ? await applyWithReceipts(states[v.after] as ChainState, p.value, c.params) : p;
    expect(r.ok, v.note).toBe(false);
    if (!r.ok) expect(r.error.code, v.note).toBe(v.error);
  }
}

describe("whole-block vectors (gen_blocks.py)", () => {
  it("hold at least one block and one refusal per case, and more than a handful of blocks in all", () => {
    expect(CASES.length).toBeGreaterThanOrEqual(2);
    for (const c of CASES) expect(c.blocks.length > 0 && c.refused.length > 0).toBe(true);
    expect(CASES.reduce((n, c) => n + c.blocks.length, 0)).toBeGreaterThanOrEqual(10);
  });

  for (const c of CASES) {
    describe(c.name, () => {
      it("the parameters and the genesis block are the Python's", () => {
        expect(toWire(c.params as unknown as Encodable)).toEqual(c.paramsWire);
        const g = genesisBlock(c.params);
        expect(stateRoot(g.state)).toBe(c.genesis.stateRoot);
        expect(g.block.header.stateRoot).toBe(c.genesis.stateRoot);
        expect(g.block.hash).toBe(c.genesis.hash);
      });

      it("each block applies to the post-state root, hash and receipts the Python computed", async () => {
        await checkBlocks(c);
      });

      it("each refused block is refused (parsed, then applied) with the Python's error code", async () => {
        await checkRefused(c);
      });
    });
  }

  describe("controls: the vectors can fail", () => {
    const c = CASES[0] as Case;
    const at = c.blocks.findIndex((b) => parsed(c, b.wire).txs.some((t) => t.kind === "transfer"));
    const tamper = (wire: Json): JsonObject => {
      const copy = structuredClone(wire) as JsonObject;
      const tx = (copy["txs"] as JsonObject[]).find((t) => t["kind"] === "transfer") as JsonObject;
      const body = tx["body"] as JsonObject;
      body["amount"] = (BigInt(str(body["amount"], "amount")) + 1n).toString();
      return copy;
    };

    it("a transfer's amount changed in the wire block: parsing refuses its id", () => {
      expect(at).toBeGreaterThanOrEqual(0);
      const r = parseBlock(tamper((c.blocks[at] as BlockVector).wire), c.params);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error.code).toBe("BAD_ID");
    });

    it("the same change past the id and signature checks: the state root is not the header's", async () => {
      const states = await replay(c);
      const block = parsed(c, (c.blocks[at] as BlockVector).wire);
      const txs = block.txs.map((t) => (t.kind === "transfer" && t === block.txs.find((x) => x.kind === "transfer") ? ({ ...t, body: { ...t.body, amount: t.body.amount + 1n } } as Tx) : t));
      const r = transitionWithReceipts(states[at] as ChainState, { ...block, txs }, c.params);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error.code).toBe("BAD_STATE_ROOT");
    });

    it("a vector with one expectation off is not met: a root, a receipt, a refusal's code, a valid block listed as refused", async () => {
      const flip = (h: string): string => h.replace(/^./, (ch) => (ch === "0" ? "1" : "0"));
      const withBlock = (k: Case, i: number, change: (v: BlockVector) => BlockVector): Case => ({ ...k, blocks: k.blocks.map((v, j) => (j === i ? change(v) : v)) });
      await expect(checkBlocks(withBlock(c, at, (v) => ({ ...v, stateRoot: flip(v.stateRoot) })))).rejects.toThrow();
      const rounds = CASES.find((k) => k.blocks.some((v) => (asObject(v.receipts, "receipts")["reputation"] as Json[]).length > 0)) as Case;
      const i = rounds.blocks.findIndex((v) => (asObject(v.receipts, "receipts")["reputation"] as Json[]).length > 0);
      const lessDelta = (v: BlockVector): BlockVector => {
        const receipts = structuredClone(v.receipts) as JsonObject;
        const first = (receipts["reputation"] as JsonObject[])[0] as JsonObject;
        first["delta"] = (BigInt(str(first["delta"], "delta")) - 1n).toString();
        return { ...v, receipts };
      };
      await expect(checkBlocks(withBlock(rounds, i, lessDelta))).rejects.toThrow();
      const r0 = c.refused[0] as RefusedVector;
      await expect(checkRefused({ ...c, refused: [{ ...r0, error: r0.error === "BAD_NONCE" ? "BAD_ID" : "BAD_NONCE" }] })).rejects.toThrow();
      await expect(checkRefused({ ...c, refused: [{ note: "valid", after: at, wire: (c.blocks[at] as BlockVector).wire, error: "BAD_NONCE" }] })).rejects.toThrow();
    });
  });
});
