#!/usr/bin/env python3
"""Writes test/vectors/state-tree.json: the sparse Merkle tree under the state root
(core/state-tree.ts) and the state's leaves (core/state-codec.ts, core/state-root.ts).

    python3 test/vectors/gen/gen_state_tree.py

Standard library only. Every expected value is recomputed here from the written
rule (docs/PROTOCOL.md §5), by its recursive definition over sets of keys, never
from the TypeScript (which builds and updates the tree incrementally):

    key       = H("state-key", [space, id])
    valueHash = H("state-value", value)
    leaf      = sha256("DOIN/state-leaf/" || key || valueHash)
    node      = sha256("DOIN/state-node/" || left || right)
    subtree(S, d) = 32 zero bytes if S is empty; the leaf hash if S has one leaf;
                    else node(subtree(S with bit d = 0, d + 1), subtree(S with bit d = 1, d + 1))
    root = subtree(all leaves, 0)           (bit 0 = the most significant bit of byte 0)

A proof for a key lists the siblings down the key's path while the subtree
there holds two leaves or more, then the leaf found (or none).
"""
import hashlib
import random

from vector_io import hash_of, tagged_hash, write_fixture

ZERO = bytes(32)


def h(label):
    return hashlib.sha256(label.encode("utf-8")).hexdigest()


def bit(key_hex, d):
    return (int(key_hex[d // 4], 16) >> (3 - d % 4)) & 1


def leaf_hash(key_hex, value_hash_hex):
    return tagged_hash("state-leaf", bytes.fromhex(key_hex) + bytes.fromhex(value_hash_hex))


def node_hash(left, right):
    return tagged_hash("state-node", left + right)


def subtree(items, d):
    """items: list of (key_hex, value_hash_hex) sharing their first d bits."""
    if not items:
        return ZERO
    if len(items) == 1:
        return leaf_hash(*items[0])
    left = [x for x in items if bit(x[0], d) == 0]
    right = [x for x in items if bit(x[0], d) == 1]
    return node_hash(subtree(left, d + 1), subtree(right, d + 1))


def root(items):
    return subtree(list(items), 0).hex()


def prove(items, key):
    siblings = []
    current = list(items)
    d = 0
    while len(current) >= 2:
        mine = [x for x in current if bit(x[0], d) == bit(key, d)]
        other = [x for x in current if bit(x[0], d) != bit(key, d)]
        siblings.append(subtree(other, d + 1).hex())
        current = mine
        d += 1
    leaf = None if not current else {"key": current[0][0], "valueHash": current[0][1]}
    return {"siblings": siblings, "leaf": leaf}


def parts(items, depth):
    out = []
    for i in range(2**depth):
        inside = [x for x in items if int(bin(int(x[0], 16))[2:].zfill(256)[:depth] or "0", 2) == i]
        out.append({"hash": subtree(inside, depth).hex(), "count": len(inside)})
    return out


def vh(label):
    return h("value/" + label)


def key_of(label):
    return h("key/" + label)


def items_of(labels):
    return [(key_of(x), vh(x)) for x in labels]


# --- the state's leaves ----------------------------------------------------------


def state_key(space, id_):
    return hash_of("state-key", [space, id_])


def value_hash(value):
    return hash_of("state-value", value)


def addr(label):
    return h("address/" + label)[:40]


def state_leaves():
    """A small chain state in wire form, one leaf per item (every space)."""
    a, b, c = addr("alice"), addr("bob"), addr("carol")
    commit = h("commit/1")
    optimae = h("reveal/1")
    beacon = h("beacon/7")
    return [
        {"space": "meta", "id": "chain", "value": {
            "network": "doin-vectors", "height": 7, "tipTimestamp": 1767225614000, "cumulativeWork": "2500000",
            "weight": 13, "supply": "300000000000", "burned": "100000000", "beacon": beacon, "mintedBlocks": 2,
            "difficulty": {"threshold": "1020000", "emaBlockTimeMs": "540000", "lastWorkTimestamp": 1767225612000,
                           "epochStartTimestamp": 1767225600000, "blocksInEpoch": 2},
            "pendingWork": "400000"}},
        {"space": "account", "id": a, "value": {"balance": "99899999999", "nonce": 3, "reputation": "5400000",
                                                "reputationTime": 1767225612000, "lastActiveTime": 1767225612000}},
        {"space": "account", "id": b, "value": {"balance": "100000000000", "nonce": 0, "reputation": "5000000",
                                                "reputationTime": 1767225600000, "lastActiveTime": -1}},
        {"space": "account", "id": c, "value": {"balance": "1", "nonce": 0, "reputation": "0",
                                                "reputationTime": 0, "lastActiveTime": -1}},
        {"space": "champion", "id": "quadratic", "value": {"performance": "-1000000", "optimae": None, "optimizer": None,
                                                            "params": None, "height": 0}},
        {"space": "commit", "id": commit, "value": {"id": commit, "domain": "quadratic", "optimizer": a,
                                                    "commitment": h("commitment/1"), "height": 5, "bond": "100000000"}},
        {"space": "round", "id": optimae, "value": {
            "optimae": optimae, "domain": "quadratic", "optimizer": b, "commit": h("commit/0"), "beacon": beacon,
            "bond": "100000000", "paramsHash": h("params/0"), "params": {"x": [1, -2, 300]}, "reported": "-70000000",
            "revealHeight": 6, "deadline": 26, "quorum": [a, c], "votes": [
                {"evaluator": a, "performance": "-70100000", "dataHash": h("data/a")}],
            "status": "voting", "verified": None, "agreeing": []}},
        {"space": "revealed", "id": h("params/0"), "value": optimae},
        {"space": "pending-optimizer", "id": b, "value": "400000"},
        {"space": "pending-evaluator", "id": a, "value": 2},
        {"space": "anchor", "id": 100, "value": h("block/100")},
        {"space": "checkpoint", "id": 100, "value": h("block/100")},
        {"space": "recent-beacon", "id": 6, "value": h("beacon/6")},
    ]


def main():
    rng = random.Random(13)
    trees = []
    cases = [
        ("empty", []),
        ("one leaf", items_of(["a"])),
        ("two leaves apart at bit 0", [("00" * 32, vh("lo")), ("ff" * 32, vh("hi"))]),
        ("two leaves sharing 255 bits", [("00" * 31 + "00", vh("p")), ("00" * 31 + "01", vh("q"))]),
        ("two leaves sharing 9 bits, one apart", [("0000" + "0" * 60, vh("x")), ("0040" + "0" * 60, vh("y")), ("80" + "0" * 62, vh("z"))]),
        ("16 leaves", items_of(["leaf/%d" % i for i in range(16)])),
        ("100 leaves", items_of(["leaf/%d" % i for i in range(100)])),
    ]
    for name, items in cases:
        trees.append({"name": name, "leaves": [{"key": k, "valueHash": v} for k, v in items], "root": root(items)})
    assert trees[0]["root"] == "0" * 64
    assert trees[1]["root"] == leaf_hash(*cases[1][1][0]).hex()

    # proofs: inclusion, absence at an empty subtree, absence at another key's leaf
    proofs = []
    for case_index in (3, 4, 5, 6):
        name, items = cases[case_index]
        r = root(items)
        for k, v in items[:3]:
            proofs.append({"tree": name, "root": r, "key": k, "valueHash": v, "proof": prove(items, k)})
        for j in range(6):
            k = h("absent/%s/%d" % (name, j))
            p = prove(items, k)
            proofs.append({"tree": name, "root": r, "key": k, "valueHash": None, "proof": p})
        # a key that shares a leaf's path a long way: ends at that leaf
        k0 = items[0][0]
        near = k0[:-1] + "%x" % (int(k0[-1], 16) ^ 8)
        assert near not in dict(items)
        proofs.append({"tree": name, "root": r, "key": near, "valueHash": None, "proof": prove(items, near)})
    kinds = {("in" if p["valueHash"] else ("other" if p["proof"]["leaf"] else "empty")) for p in proofs}
    assert kinds == {"in", "other", "empty"}, kinds

    # updates: batches of sets and removals from the 16-leaf tree, the root after each
    current = dict(cases[5][1])
    labels = ["leaf/%d" % i for i in range(16)]
    batches = [
        [{"key": key_of("new/%d" % i), "valueHash": vh("new/%d" % i)} for i in range(5)],
        [{"key": key_of(labels[i]), "valueHash": vh("changed/%d" % i)} for i in (0, 7, 15)],
        [{"key": key_of(labels[i]), "valueHash": None} for i in (1, 2, 3)] + [{"key": key_of("never"), "valueHash": None}],
        [{"key": k, "valueHash": None} for k in sorted(current)[:12]],
        None,  # every key left, and one never set
    ]
    updates = []
    for batch in batches:
        if batch is None:
            batch = [{"key": k, "valueHash": None} for k in sorted(current)] + [{"key": key_of("never"), "valueHash": None}]
        for c in batch:
            if c["valueHash"] is None:
                current.pop(c["key"], None)
            else:
                current[c["key"]] = c["valueHash"]
        rng.shuffle(batch)
        updates.append({"changes": batch, "root": root(current.items()), "size": len(current)})
    assert updates[-1]["root"] == "0" * 64 and updates[-1]["size"] == 0

    parted = {"tree": "100 leaves", "depth": 3, "parts": parts(cases[6][1], 3)}
    assert sum(p["count"] for p in parted["parts"]) == 100

    leaves = state_leaves()
    state_items = []
    for lf in leaves:
        k = state_key(lf["space"], lf["id"])
        v = value_hash(lf["value"])
        state_items.append((k, v))
        lf["key"] = k
        lf["valueHash"] = v
    state_root = root(state_items)
    alice = addr("alice")
    absent = addr("nobody")
    state = {
        "leaves": leaves,
        "root": state_root,
        "accountProofs": [
            {"address": alice, "key": state_key("account", alice), "proof": prove(state_items, state_key("account", alice))},
            {"address": absent, "key": state_key("account", absent), "proof": prove(state_items, state_key("account", absent))},
        ],
    }

    write_fixture(
        "state-tree",
        "The sparse Merkle tree of the state root: roots, proofs, batched updates, snapshot parts, and a "
        "small chain state as leaves with its root and account proofs.",
        "constructed by test/vectors/gen/gen_state_tree.py",
        "python3 test/vectors/gen/gen_state_tree.py (hashlib only). key = H(\"state-key\", [space, id]); "
        "valueHash = H(\"state-value\", value) with H(tag, v) = sha256(\"DOIN/<tag>/\" || RFC 8785 JSON of v); "
        "leaf = sha256(\"DOIN/state-leaf/\" || key || valueHash); node = sha256(\"DOIN/state-node/\" || left || right); "
        "subtree(S, d) = 32 zero bytes for no leaf, the leaf hash for one, else node(subtree(S0, d+1), subtree(S1, d+1)) "
        "split by key bit d (most significant first); root = subtree(all, 0). A proof lists the siblings down the key's "
        "path while the subtree there holds two or more leaves, then the leaf found there or null. Test keys and value "
        "hashes are sha256 of labels; a part i at depth d holds the keys whose first d bits are i.",
        {"trees": trees, "proofs": proofs, "updates": {"from": "16 leaves", "batches": updates}, "parts": parted, "state": state},
    )


if __name__ == "__main__":
    main()
