/**
 * The accounts of a state, read through its state tree: the tree is a
 * persistent map (a new state shares every account it did not change with
 * its parent), so a block never copies the accounts, however many there are.
 * `AccountOverlay` is a block's working copy: the parent's accounts plus the
 * block's writes, which are then all the tree has to hash again.
 *
 * Iteration follows key order (the tree's), which no rule depends on: the
 * rules that read every account sort what they select.
 */
import { accountKey } from "./state-codec.ts";
import { getLeaf, leavesOf, type Tree } from "./state-tree.ts";
import type { Account, Address, StateEntry } from "./types.ts";

export class AccountMap implements ReadonlyMap<Address, Account> {
  readonly #tree: Tree<StateEntry>;
  readonly size: number;

  /** `size`: the number of account leaves in `tree` (the tree also holds other spaces). */
  constructor(tree: Tree<StateEntry>, size: number) {
    this.#tree = tree;
    this.size = size;
  }

  get(address: Address): Account | undefined {
    const leaf = getLeaf(this.#tree, accountKey(address));
    return leaf?.entry.space === "account" ? leaf.entry.value : undefined;
  }

  has(address: Address): boolean {
    return this.get(address) !== undefined;
  }

  *entries(): MapIterator<[Address, Account]> {
    for (const leaf of leavesOf(this.#tree)) if (leaf.entry.space === "account") yield [leaf.entry.id, leaf.entry.value];
  }

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
    return "AccountMap";
  }
}

/** A block's accounts: reads fall through to the parent's, writes stay here (no account is ever removed). */
export class AccountOverlay implements ReadonlyMap<Address, Account> {
  readonly #base: ReadonlyMap<Address, Account>;
  /** the accounts this block wrote, with their new values */
  readonly writes = new Map<Address, Account>();
  #added = 0;

  constructor(base: ReadonlyMap<Address, Account>) {
    this.#base = base;
  }

  get size(): number {
    return this.#base.size + this.#added;
  }

  get(address: Address): Account | undefined {
    return this.writes.get(address) ?? this.#base.get(address);
  }

  has(address: Address): boolean {
    return this.writes.has(address) || this.#base.has(address);
  }

  set(address: Address, account: Account): this {
    if (!this.writes.has(address) && !this.#base.has(address)) this.#added++;
    this.writes.set(address, account);
    return this;
  }

  *entries(): MapIterator<[Address, Account]> {
    for (const [a, v] of this.#base) yield [a, this.writes.get(a) ?? v];
    for (const [a, v] of this.writes) if (!this.#base.has(a)) yield [a, v];
  }

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
    return "AccountOverlay";
  }
}
