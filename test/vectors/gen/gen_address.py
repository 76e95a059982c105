#!/usr/bin/env python3
"""Writes test/vectors/address.json: seed phrase -> secret -> public key -> address.

    python3 test/vectors/gen/gen_address.py
"""
import hashlib

import rfc8032 as ed
from vector_io import tagged_hash, write_vectors

RFC_SECRETS = [
    ("RFC 8032 TEST 1", "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"),
    ("RFC 8032 TEST 2", "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb"),
    ("RFC 8032 TEST 3", "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7"),
]
PHRASES = ["alice", "bob", "carol", "", "validator/0", "évaluateur ünïcode 日本"]


def address(pub):
    return tagged_hash("address", pub)[:20].hex()


def main():
    vectors = []
    for name, secret_hex in RFC_SECRETS:
        pub = ed.secret_to_public(bytes.fromhex(secret_hex))
        vectors.append({"name": name, "seed_phrase": None, "secret": secret_hex, "pub": pub.hex(), "address": address(pub)})
    for phrase in PHRASES:
        secret = hashlib.sha256(("DOIN/secret/" + phrase).encode("utf-8")).digest()
        pub = ed.secret_to_public(secret)
        vectors.append({"name": "seed phrase %r" % phrase, "seed_phrase": phrase, "secret": secret.hex(),
                        "pub": pub.hex(), "address": address(pub)})
    assert vectors[0]["pub"] == "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
    write_vectors(
        "address.json",
        "Account addresses: secretFromSeedPhrase, publicKeyFromSecret and addressFromPublicKey.",
        "RFC 8032 section 7.1 secrets and test seed phrases; constructed by test/vectors/gen/gen_address.py",
        "python3 test/vectors/gen/gen_address.py (standard library only). secret = sha256(UTF-8 of "
        "\"DOIN/secret/\" + seed_phrase) when seed_phrase is not null; pub = RFC 8032 secret_to_public(secret) "
        "(section 6 reference code, gen/rfc8032.py); address = first 20 bytes of sha256(\"DOIN/address/\" || "
        "pub bytes), as 40 lower-case hex characters.",
        vectors,
    )


if __name__ == "__main__":
    main()
