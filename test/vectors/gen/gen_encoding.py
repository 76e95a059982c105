#!/usr/bin/env python3
"""Writes test/vectors/encoding.json: values -> canonical JSON text and hashOf(tag, value).

    python3 test/vectors/gen/gen_encoding.py

Fixture conventions (the TypeScript test converts them before calling the code):
  {"$bigint": "<decimal>"}  a bigint; on the wire it is the decimal string
  {"$number": "NaN" | "Infinity" | "-Infinity" | "-0"}  numbers JSON cannot spell
"""
import hashlib
import json

from vector_io import tagged_hash, write_vectors

TAGS = ["tx", "block", "params", "state", "genesis"]
MAX_SAFE = 2**53 - 1


def to_wire(v):
    """The rule of core/encoding.ts toWire, restated: bigints become decimal strings, only safe
    integers, strings, booleans, null, arrays and objects are admitted."""
    if isinstance(v, dict):
        if set(v) == {"$bigint"}:
            int(v["$bigint"])  # must parse
            return str(int(v["$bigint"]))
        if set(v) == {"$number"}:
            if v["$number"] == "-0":
                return 0
            raise ValueError("not a safe integer: " + v["$number"])
        return {k: to_wire(x) for k, x in v.items()}
    if isinstance(v, list):
        return [to_wire(x) for x in v]
    if isinstance(v, bool) or v is None or isinstance(v, str):
        return v
    if isinstance(v, int):
        if abs(v) > MAX_SAFE:
            raise ValueError("not a safe integer: %d" % v)
        return v
    raise ValueError("cannot encode %r" % (v,))


def check_subset(v):
    """The inputs stay inside the subset where Python's sorted compact JSON is RFC 8785:
    integers only, and no key outside the Basic Multilingual Plane (Python sorts keys by code
    point, RFC 8785 by UTF-16 code unit; the two orders agree inside the BMP)."""
    if isinstance(v, dict):
        for k, x in v.items():
            assert all(ord(c) < 0x10000 for c in k), k
            check_subset(x)
    elif isinstance(v, list):
        for x in v:
            check_subset(x)
    elif isinstance(v, str):
        assert not any(0xD800 <= ord(c) <= 0xDFFF for c in v), "lone surrogate"
    else:
        assert v is None or isinstance(v, (bool, int)), v


def canonical(wire):
    check_subset(wire)
    return json.dumps(wire, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


OK = [
    ("null", None),
    ("true", True),
    ("false", False),
    ("zero", 0),
    ("negative zero becomes 0", {"$number": "-0"}),
    ("largest safe integer", MAX_SAFE),
    ("smallest safe integer", -MAX_SAFE),
    ("negative integer", -42),
    ("empty string", ""),
    ("empty array", []),
    ("empty object", {}),
    ("nested empties", {"a": [], "b": {}, "c": [[], {}]}),
    ("ascii string", "hello"),
    ("escapes", "quote \" backslash \\ slash / newline \n cr \r tab \t bs \b ff \f"),
    ("control characters", "\u0000\u0001\u001f\u007f"),
    ("non-ascii", "naïve café 日本語 Ωμέγα"),
    ("astral-plane value", "emoji 😀 and 𝄞"),
    ("line and paragraph separators", "a\u2028b\u2029c"),
    ("unsorted keys", {"b": 2, "a": 1, "c": 3, "A": 0, "aa": 4, "": 5}),
    ("non-ascii keys sort by code point", {"é": 1, "e": 2, "z": 3, "日": 4, "ä": 5, "\u00ff": 6, "\u0100": 7}),
    ("nested unsorted", {"z": {"y": [3, 2, 1], "x": {"b": True, "a": None}}, "m": [{"d": 1, "c": 2}], "a": "first"}),
    ("bigint zero", {"$bigint": "0"}),
    ("bigint amount", {"$bigint": "2100000000000000"}),
    ("bigint beyond 2^64", {"$bigint": "340282366920938463463374607431768211457"}),
    ("negative bigint", {"$bigint": "-123456789012345678901234567890"}),
    ("transaction-like", {
        "network": "doin-devnet", "kind": "transfer", "from": "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
        "nonce": 1, "fee": {"$bigint": "1000"}, "body": {"to": "00112233445566778899aabbccddeeff00112233", "amount": {"$bigint": "250000000"}},
    }),
    ("params with mixed arrays", {"layers": [64, 32, -1], "name": "mlp", "flags": [True, False, None], "meta": {"β": "beta", "α": "alpha"}}),
    ("deep nesting", [[[[[[[[[["deep"]]]]]]]]]]),
]

THROWS = [
    ("float", 1.5),
    ("float inside object", {"a": [1, {"b": 0.25}]}),
    ("NaN", {"$number": "NaN"}),
    ("Infinity", {"$number": "Infinity"}),
    ("-Infinity", {"$number": "-Infinity"}),
    ("2^53 (not safe)", 2**53),
    ("-2^53 (not safe)", -(2**53)),
    ("large integer in array", [1, 2, 2**60]),
    ("1e21", 1e21),
]


def main():
    vectors = []
    for name, value in OK:
        text = canonical(to_wire(value))
        vectors.append({
            "name": name,
            "input": value,
            "expect": "ok",
            "canonical": text,
            "hashes": {tag: tagged_hash(tag, text.encode("utf-8")).hex() for tag in TAGS},
        })
    for name, value in THROWS:
        try:
            to_wire(value)
        except ValueError:
            pass
        else:
            raise AssertionError(name + " should be rejected")
        vectors.append({"name": name, "input": value, "expect": "throws"})
    # one hand-checked anchor: the empty object under "tx"
    assert vectors[10]["canonical"] == "{}"
    assert vectors[10]["hashes"]["tx"] == hashlib.sha256(b"DOIN/tx/{}").hexdigest()
    write_vectors(
        "encoding.json",
        "Canonical JSON (RFC 8785 over DOIN's wire subset) and tagged hashes hashOf(tag, value).",
        "constructed by test/vectors/gen/gen_encoding.py",
        "python3 test/vectors/gen/gen_encoding.py (standard library only). Wire form: {\"$bigint\": \"<decimal>\"} "
        "marks a bigint (the test passes BigInt(...)), which goes on the wire as its decimal string; "
        "{\"$number\": \"NaN\"|\"Infinity\"|\"-Infinity\"|\"-0\"} marks a number JSON cannot spell. canonical = "
        "json.dumps(wire, sort_keys=True, separators=(',', ':'), ensure_ascii=False), which equals RFC 8785 for "
        "this subset: integers only (no float formatting), strings with no lone surrogates, and no object key "
        "outside the Basic Multilingual Plane (Python sorts keys by code point, RFC 8785 by UTF-16 code unit; "
        "they agree inside the BMP); Python's escapes (\\\" \\\\ \\b \\f \\n \\r \\t, other controls as lower-case "
        "\\u00xx, everything else raw UTF-8) are RFC 8785's. hashes[tag] = sha256(\"DOIN/<tag>/\" || UTF-8 of "
        "canonical), hex. expect \"throws\": the value has a float, NaN, an infinity or an integer outside "
        "+-(2^53 - 1), which toWire must reject.",
        vectors,
    )


if __name__ == "__main__":
    main()
