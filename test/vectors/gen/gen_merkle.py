#!/usr/bin/env python3
"""Writes test/vectors/merkle.json: merkleRoot over 0..8 transaction ids.

    python3 test/vectors/gen/gen_merkle.py

The rule (core/hash.ts merkleRoot): no ids -> 64 zeros; the leaves are the id bytes
themselves (ids are already tagged hashes); each level pairs neighbours,
H("merkle", left || right), an odd level pairing its last node with itself; at least one
level is always hashed, so a single id's root is H("merkle", id || id).
"""
import hashlib

from vector_io import tagged_hash, write_vectors


def merkle_root(ids):
    if not ids:
        return "0" * 64
    level = [bytes.fromhex(i) for i in ids]
    while True:
        nxt = []
        for i in range(0, len(level), 2):
            left = level[i]
            right = level[i + 1] if i + 1 < len(level) else left
            nxt.append(tagged_hash("merkle", left + right))
        level = nxt
        if len(level) == 1:
            return level[0].hex()


def main():
    vectors = []
    for n in (0, 1, 2, 3, 4, 5, 7, 8):
        ids = [hashlib.sha256(b"DOIN merkle leaf %d" % i).hexdigest() for i in range(n)]
        vectors.append({"name": "%d leaves" % n, "ids": ids, "root": merkle_root(ids)})
    # Order matters: the reverse of the 3-leaf list has a different root.
    ids = list(reversed(vectors[3]["ids"]))
    vectors.append({"name": "3 leaves reversed", "ids": ids, "root": merkle_root(ids)})
    # A single leaf is hashed once with itself: its root is not the id itself.
    one = vectors[1]
    leaf = bytes.fromhex(one["ids"][0])
    assert one["root"] == tagged_hash("merkle", leaf + leaf).hex() != one["ids"][0]
    write_vectors(
        "merkle.json",
        "merkleRoot(ids) over transaction ids (32-byte hex).",
        "constructed by test/vectors/gen/gen_merkle.py",
        "python3 test/vectors/gen/gen_merkle.py (hashlib only). ids[i] = sha256(\"DOIN merkle leaf <i>\"). "
        "Rule: no ids -> 64 zeros; leaves are the id bytes; each level pairs neighbours with "
        "H(\"merkle\", left || right), duplicating the last node of an odd level (a single id is paired "
        "with itself); H(tag, b) = "
        "sha256(\"DOIN/<tag>/\" || b).",
        vectors,
    )


if __name__ == "__main__":
    main()
