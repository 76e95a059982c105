/**
 * The accounts of a state, read through its state tree: the tree is a
 * persistent map (a new state shares every account it did not change with
 * its parent), so a block never copies the accounts, however many there are.
 * `AccountOverlay` is a block's working copy: the parent's accounts plus the
 * block's writes, which are then all the tree has to hash again.
 *
 * Iteration follows key order (the tree's), which no rule depends on: the
 * rules that read every account sort what they select.
 *
 * Both also keep the accounts with reputation above zero (`reputable()`):
 * every validator is among them (reputation is only earned by verified work,
 * and decay never takes it below zero), so the rules that look for
 * validators read those, not every account.
 */
import { accountKey } from "./state-codec.ts";
import { getLeaf, leavesOf, type Tree } from "./state-tree.ts";
import type { Account, Address, Hash, StateEntry } from "./types.ts";

/** Layers of changes a ReputableAccounts carries before it folds them into a new flat map. */
const REPUTABLE_LAYERS = 16;

/**
 * The accounts with reputation above zero, kept across blocks without a copy
 * per block: a flat map, plus the changes of up to REPUTABLE_LAYERS later
 * blocks as layers (null: the account has none any more). A block adds one
 * layer of its own changes; every REPUTABLE_LAYERS blocks the layers fold
 * into a new flat map. A block so costs its writes plus 1/16 of a copy, not
 * a copy of every reputable account (1,000 of them among a million accounts
 * in bench/state-root.ts: ≈ 0.6 ms a block).
 */
export class ReputableAccounts implements Iterable<[Address, Account]> {
  readonly #flat: ReadonlyMap<Address, Account>;
  /** oldest first */
  readonly #layers: readonly ReadonlyMap<Address, Account | null>[];

  private constructor(flat: ReadonlyMap<Address, Account>, layers: readonly ReadonlyMap<Address, Account | null>[]) {
    this.#flat = flat;
    this.#layers = layers;
  }

  /** Those of `accounts` with reputation above zero. */
  static from(accounts: Iterable<[Address, Account]>): ReputableAccounts {
    const flat = new Map<Address, Account>();
    for (const [a, v] of accounts) if (v.reputation > 0n) flat.set(a, v);
    return new ReputableAccounts(flat, []);
  }

  get(address: Address): Account | undefined {
    for (let i = this.#layers.length - 1; i >= 0; i--) {
      const v = (this.#layers[i] as ReadonlyMap<Address, Account | null>).get(address);
      if (v !== undefined) return v ?? undefined;
    }
    return this.#flat.get(address);
  }

  /** After some accounts were written (reputation may have come or gone) or removed (null). */
  after(changes: Iterable<readonly [Address, Account | null]>): ReputableAccounts {
    const layer = new Map<Address, Account | null>();
    for (const [a, v] of changes) {
      if (v !== null && v.reputation > 0n) layer.set(a, v);
      else if (this.get(a) !== undefined || layer.has(a)) layer.set(a, null);
    }
    if (layer.size === 0) return this;
    const next = new ReputableAccounts(this.#flat, [...this.#layers, layer]);
    // folded: its entries, as iteration gives them, become the new flat map
    return next.#layers.length <= REPUTABLE_LAYERS ? next : new ReputableAccounts(new Map(next), []);
  }

  *[Symbol.iterator](): Generator<[Address, Account]> {
    if (this.#layers.length === 0) {
      yield* this.#flat;
      return;
    }
    const latest = new Map<Address, Account | null>();
    for (const layer of this.#layers) for (const [a, v] of layer) latest.set(a, v);
    for (const [a, v] of this.#flat) {
      const w = latest.get(a);
      if (w === undefined) yield [a, v];
      else if (w !== null) yield [a, w];
    }
    for (const [a, w] of latest) if (w !== null && !this.#flat.has(a)) yield [a, w];
  }
}

/** What a read-only map derives from its entries. */
abstract class AccountsView implements ReadonlyMap<Address, Account> {
  abstract readonly size: number;
  abstract get(address: Address): Account | undefined;
  abstract has(address: Address): boolean;
  abstract entries(): MapIterator<[Address, Account]>;
  /** the accounts whose reputation (as stored, undecayed) is above zero */
  abstract reputable(): ReputableAccounts;

  *keys(): MapIterator<Address> {
    for (const [a] of this.entries()) yield a;
  }

  *values(): MapIterator<Account> {
    for (const [, v] of this.entries()) yield v;
  }

  forEach(fn: (value: Account, key: Address, map: ReadonlyMap<Address, Account>) => void, thisArg?: unknown): void {
    for (const [k, v] of this.entries()) fn.call(thisArg, v, k, this);
  }

  [Symbol.iterator](): MapIterator<[Address, Account]> {
    return this.entries();
  }

  get [Symbol.toStringTag](): string {
    return this.constructor.name;
  }
}

/** The accounts that may be validators: `accounts.reputable()` when the map keeps them apart, else every account. */
export function mayHoldReputation(accounts: ReadonlyMap<Address, Account>): Iterable<[Address, Account]> {
  return accounts instanceof AccountsView ? accounts.reputable() : accounts;
}

/** The reputable accounts of a map: kept apart already, or found by a scan (a plain map: genesis, tests). */
export function reputableOf(accounts: ReadonlyMap<Address, Account>): ReputableAccounts {
  return accounts instanceof AccountsView ? accounts.reputable() : ReputableAccounts.from(accounts);
}

export class AccountMap extends AccountsView {
  readonly #tree: Tree<StateEntry>;
  readonly #reputable: ReputableAccounts;
  readonly size: number;

  /** `size`: the number of account leaves in `tree` (the tree also holds other spaces); `reputable`: those with reputation above zero. */
  constructor(tree: Tree<StateEntry>, size: number, reputable: ReputableAccounts) {
    super();
    this.#tree = tree;
    this.size = size;
    this.#reputable = reputable;
  }

  reputable(): ReputableAccounts {
    return this.#reputable;
  }

  get(address: Address): Account | undefined {
    return this.getByKey(accountKey(address));
  }

  /** The account under its state key (accountKey(address)), for callers that derived it already. */
  getByKey(key: Hash): Account | undefined {
    const leaf = getLeaf(this.#tree, key);
    return leaf?.entry.space === "account" ? leaf.entry.value : undefined;
  }

  has(address: Address): boolean {
    return this.get(address) !== undefined;
  }

  *entries(): MapIterator<[Address, Account]> {
    for (const leaf of leavesOf(this.#tree)) if (leaf.entry.space === "account") yield [leaf.entry.id, leaf.entry.value];
  }
}

/**
 * A block's accounts: reads fall through to the parent's, writes stay here
 * (no account is ever removed). Each account's state key is derived once per
 * block, however often the block reads and writes it.
 */
export class AccountOverlay extends AccountsView {
  readonly #base: ReadonlyMap<Address, Account>;
  readonly #keys = new Map<Address, Hash>();
  /** the accounts this block wrote, with their new values */
  readonly writes = new Map<Address, Account>();
  #added = 0;

  constructor(base: ReadonlyMap<Address, Account>) {
    super();
    this.#base = base;
  }

  get size(): number {
    return this.#base.size + this.#added;
  }

  /** accountKey(address), derived once per block */
  keyOf(address: Address): Hash {
    let key = this.#keys.get(address);
    if (key === undefined) {
      key = accountKey(address);
      this.#keys.set(address, key);
    }
    return key;
  }

  #inBase(address: Address): Account | undefined {
    return this.#base instanceof AccountMap ? this.#base.getByKey(this.keyOf(address)) : this.#base.get(address);
  }

  get(address: Address): Account | undefined {
    return this.writes.get(address) ?? this.#inBase(address);
  }

  has(address: Address): boolean {
    return this.writes.has(address) || this.#inBase(address) !== undefined;
  }

  set(address: Address, account: Account): this {
    if (!this.writes.has(address) && this.#inBase(address) === undefined) this.#added++;
    this.writes.set(address, account);
    return this;
  }

  *entries(): MapIterator<[Address, Account]> {
    for (const [a, v] of this.#base) yield [a, this.writes.get(a) ?? v];
    for (const [a, v] of this.writes) if (!this.#base.has(a)) yield [a, v];
  }

  reputable(): ReputableAccounts {
    return reputableOf(this.#base).after(this.writes);
  }
}
