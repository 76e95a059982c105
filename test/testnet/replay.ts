/**
 * Replays a node's canonical chain from genesis with core/ alone, checking
 * after every block that every coin is accounted for: balances, bonds held
 * and coin burned add up to the supply. What a test
 * wants to see on the way (reputation steps, votes) it reads in `onBlock`.
 */
import { parseBlock } from "../../core/block.ts";
import { genesisBlock } from "../../core/genesis.ts";
import { applyBlock, bondsHeld } from "../../core/state-transition.ts";
import type { Block, ChainParams, ChainState } from "../../core/types.ts";

export interface Replayed {
  readonly state: ChainState;
  readonly blocks: number;
}

export async function replayChain(url: string, params: ChainParams, height: number, onBlock: (block: Block, before: ChainState, after: ChainState) => void = () => undefined): Promise<Replayed> {
  let state: ChainState = genesisBlock(params).state;
  let blocks = 0;
  for (let from = 1; from <= height; from += 50) {
    const to = Math.min(height, from + 49);
    const { blocks: wires } = (await (await fetch(`${url}/chain/blocks?from=${from}&to=${to}`)).json()) as { blocks: unknown[] };
    for (const wire of wires) {
      const block = parseBlock(wire, params);
      if (!block.ok) throw new Error(`block ${from + blocks}: ${block.error.message}`);
      const r = await applyBlock(state, block.value, params);
      if (!r.ok) throw new Error(`block ${block.value.header.height}: ${r.error.code}: ${r.error.message}`);
      let balances = 0n;
      for (const a of r.value.accounts.values()) balances += a.balance;
      const accounted = balances + bondsHeld(r.value) + r.value.burned;
      if (accounted !== r.value.supply) throw new Error(`block ${block.value.header.height}: balances + bonds + burned ${accounted} ≠ supply ${r.value.supply}`);
      onBlock(block.value, state, r.value);
      state = r.value;
      blocks++;
    }
  }
  return { state, blocks };
}
