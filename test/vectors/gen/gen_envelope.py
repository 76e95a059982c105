#!/usr/bin/env python3
"""Writes test/vectors/envelope.json: signed node-to-node envelopes (core/envelope.ts, PROTOCOL.md section 10).

    python3 test/vectors/gen/gen_envelope.py

Independent of the TypeScript under test: canonical JSON is sorted compact json.dumps (RFC 8785
for the subset used here: ASCII keys, strings, booleans, null and safe integers), the hashes are
hashlib's sha256 with the "DOIN/<tag>/" prefix, and the signatures are RFC 8032 section 6's
reference code (rfc8032.py), which is deterministic.
"""
import hashlib
import json

import rfc8032 as ed
from gen_encoding import canonical
from vector_io import tagged_hash, write_vectors


def secret_from_phrase(phrase):
    return hashlib.sha256(("DOIN/secret/" + phrase).encode("utf-8")).digest()


def payload_hash(payload):
    return tagged_hash("envelope", canonical({"payload": payload}).encode("utf-8")).hex()


def signing_hash(network, kind, sender, p_hash, timestamp, hops):
    fields = {"network": network, "kind": kind, "sender": sender, "payloadHash": p_hash, "timestamp": timestamp, "hops": hops}
    return tagged_hash("envelope", canonical(fields).encode("utf-8"))


CASES = [
    ("a transaction, first hop", "envelope-vector-a", "doin-devnet", "tx", 1_800_000_000_000, 0,
     {"kind": "commit", "from": "ab" * 32, "nonce": 1, "fee": "1000",
      "body": {"domain": "quadratic", "commitment": "77" * 32}, "network": "doin-devnet", "sig": "cd" * 64}),
    ("a block relayed three times", "envelope-vector-b", "doin-devnet", "block", 1_800_000_123_456, 3,
     {"header": {"height": 12, "parent": "00" * 32, "work": "0", "timestamp": 1_799_999_999_000},
      "txs": [], "coinbase": [], "hash": "11" * 32, "sig": "22" * 64}),
    ("a peer list", "envelope-vector-a", "doin-devnet", "peers", 1_800_000_000_001, 6,
     ["http://127.0.0.1:8787", "https://node.example.org"]),
    ("a ping", "envelope-vector-c", "doin-mainnet", "ping", 0, 0, {"n": 1}),
    ("unicode, escapes, null and booleans", "envelope-vector-c", "doin-test", "tx", 1_700_000_000_000, 1,
     {"text": "naïve café 日本語 \"q\" \\ \n\t", "none": None, "yes": True, "no": False, "neg": -42,
      "max": 2**53 - 1}),
    ("a null payload", "envelope-vector-b", "doin-devnet", "ping", 1_800_000_000_000, 0, None),
]

# single-field changes a relay might try; each must make the signature fail
TAMPER = [("hops", lambda e: e["hops"] + 1), ("timestamp", lambda e: e["timestamp"] + 1),
          ("network", lambda e: e["network"] + "x"), ("kind", lambda e: "block" if e["kind"] != "block" else "tx"),
          ("payloadHash", lambda e: ("0" if e["payloadHash"][0] != "0" else "1") + e["payloadHash"][1:])]


def main():
    vectors = []
    for name, phrase, network, kind, timestamp, hops, payload in CASES:
        secret = secret_from_phrase(phrase)
        sender = ed.secret_to_public(secret).hex()
        p_hash = payload_hash(payload)
        s_hash = signing_hash(network, kind, sender, p_hash, timestamp, hops)
        sig = ed.sign(secret, s_hash)
        assert ed.verify(bytes.fromhex(sender), s_hash, sig)
        envelope = {"network": network, "kind": kind, "sender": sender, "payloadHash": p_hash,
                    "timestamp": timestamp, "hops": hops, "sig": sig.hex()}
        tampered = []
        for field, change in TAMPER:
            bad = dict(envelope)
            bad[field] = change(envelope)
            b_hash = signing_hash(bad["network"], bad["kind"], bad["sender"], bad["payloadHash"], bad["timestamp"], bad["hops"])
            assert not ed.verify(bytes.fromhex(sender), b_hash, sig)
            tampered.append({field: bad[field]})
        vectors.append({
            "name": name,
            "seed_phrase": phrase,
            "secret": secret.hex(),
            "payload": payload,
            "payload_canonical": canonical({"payload": payload}),
            "signing_hash": s_hash.hex(),
            "message": {"envelope": envelope, "payload": payload},
            "tampered": tampered,
        })
    write_vectors(
        "envelope.json",
        "Signed envelopes between nodes: payloadHash, the signed hash and the Ed25519 signature (core/envelope.ts).",
        "Payloads constructed by test/vectors/gen/gen_envelope.py; rules from docs/PROTOCOL.md section 10.",
        "python3 test/vectors/gen/gen_envelope.py (standard library only). secret = sha256(UTF-8 of \"DOIN/secret/\" + "
        "seed_phrase); sender = RFC 8032 secret_to_public(secret); payloadHash = hex sha256(\"DOIN/envelope/\" || "
        "canonical JSON of {\"payload\": payload}) where payload_canonical is that JSON text; signing_hash = "
        "sha256(\"DOIN/envelope/\" || canonical JSON of {network, kind, sender, payloadHash, timestamp, hops}); sig = "
        "RFC 8032 sign(secret, the 32 signing_hash bytes) (section 6 reference code, gen/rfc8032.py). Canonical JSON: "
        "sorted keys, no spaces, UTF-8, integers only (RFC 8785 on this subset). Each entry of tampered is one "
        "envelope field changed to the given value, keeping sig: the signature must not verify.",
        vectors,
    )


if __name__ == "__main__":
    main()
