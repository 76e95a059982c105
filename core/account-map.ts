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

/** What a read-only map derives from its entries. */
abstract class AccountsView implements ReadonlyMap<Address, Account> {
  abstract readonly size: number;
  abstract get(address: Address): Account | undefined;
  abstract has(address: Address): boolean;
  abstract entries(): MapIterator<[Address, Account]>;
  /** the accounts whose reputation (as stored, undecayed) is above zero */
  abstract reputable(): Iterable<[Address, Account]>;

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

/** The reputable accounts after some writes: a copy of the parent's with the writes applied (small: it holds only reputable accounts). */
export function reputableAfter(parent: Iterable<[Address, Account]>, writes: Iterable<[Address, Account]>): Map<Address, Account> {
  const next = new Map(parent);
  for (const [a, v] of writes) {
    if (v.reputation > 0n) next.set(a, v);
    else next.delete(a);
  }
  return next;
}

export class AccountMap extends AccountsView {
  readonly #tree: Tree<StateEntry>;
  readonly #reputable: ReadonlyMap<Address, Account>;
  readonly size: number;

  /** `size`: the number of account leaves in `tree` (the tree also holds other spaces); `reputable`: those with reputation above zero. */
  constructor(tree: Tree<StateEntry>, size: number, reputable: ReadonlyMap<Address, Account>) {
    super();
    this.#tree = tree;
    this.size = size;
    this.#reputable = reputable;
  }

  reputable(): Iterable<[Address, Account]> {
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

  reputable(): Iterable<[Address, Account]> {
    return reputableAfter(mayHoldReputation(this.#base), this.writes);
  }
}
