#!/usr/bin/env python3
"""Writes test/vectors/vrf.json: ECVRF-EDWARDS25519-SHA512-TAI (RFC 9381, suite 0x03).

    python3 test/vectors/gen/gen_vrf.py

Independent of the TypeScript under test: the VRF follows RFC 9381 sections
5.1-5.4 step by step on RFC 8032's Python reference arithmetic (rfc8032.py).
The generator first reproduces the RFC's own three vectors (Appendix B.3,
copied below) and stops if any byte differs; then it writes those and more:
proofs under DOIN's deterministic test keys for inputs like the ones the
chain uses, and proofs that must be refused (a flipped bit anywhere, s >= L,
a Gamma that does not decode, a small-order or non-canonical public key).
"""
import hashlib
import sys

import rfc8032 as ed
from vector_io import write_vectors

p, q, G, IDENTITY = ed.p, ed.q, ed.G, ed.IDENTITY
SUITE = b"\x03"

# RFC 9381 Appendix B.3 (SK, PK, alpha, pi, beta), hex.
RFC9381 = [
    ("B.3 example 16",
     "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
     "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
     "",
     "8657106690b5526245a92b003bb079ccd1a92130477671f6fc01ad16f26f723f26f8a57ccaed74ee1b190bed1f479d9727d2d0f9b005a6e456a35d4fb0daab1268a1b0db10836d9826a528ca76567805",
     "90cf1df3b703cce59e2a35b925d411164068269d7b2d29f3301c03dd757876ff66b71dda49d2de59d03450451af026798e8f81cd2e333de5cdf4f3e140fdd8ae"),
    ("B.3 example 17",
     "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
     "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
     "72",
     "f3141cd382dc42909d19ec5110469e4feae18300e94f304590abdced48aed5933bf0864a62558b3ed7f2fea45c92a465301b3bbf5e3e54ddf2d935be3b67926da3ef39226bbc355bdc9850112c8f4b02",
     "eb4440665d3891d668e7e0fcaf587f1b4bd7fbfe99d0eb2211ccec90496310eb5e33821bc613efb94db5e5b54c70a848a0bef4553a41befc57663b56373a5031"),
    ("B.3 example 18",
     "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
     "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
     "af82",
     "9bc0f79119cc5604bf02d23b4caede71393cedfbb191434dd016d30177ccbf8096bb474e53895c362d8628ee9f9ea3c0e52c7a5c691b6c18c9979866568add7a2d41b00b05081ed0f58ee5e31b3a970e",
     "645427e5d00c62a23fb703732fa5d892940935942101e456ecca7bb217c61c452118fec1219202a0edcf038bb6373241578be7217ba85a2687f7a0310b2df19f"),
]


def small_order(P):
    return ed.point_equal(ed.point_mul(8, P), IDENTITY)


def encode_to_curve(pk, alpha):
    """RFC 9381 5.4.1.1 try-and-increment, encode_to_curve_salt = PK_string."""
    for ctr in range(256):
        h = hashlib.sha512(SUITE + b"\x01" + pk + alpha + bytes([ctr]) + b"\x00").digest()
        P = ed.point_decompress(h[:32])
        if P is not None:
            return ed.point_mul(8, P)
    raise Exception("no point")


def challenge(points):
    data = SUITE + b"\x02" + b"".join(ed.point_compress(P) for P in points) + b"\x00"
    return int.from_bytes(hashlib.sha512(data).digest()[:16], "little")


def proof_to_hash(gamma):
    return hashlib.sha512(SUITE + b"\x03" + ed.point_compress(ed.point_mul(8, gamma)) + b"\x00").digest()


def prove(sk, alpha):
    x, prefix = ed.secret_expand(sk)
    Y = ed.point_mul(x, G)
    pk = ed.point_compress(Y)
    H = encode_to_curve(pk, alpha)
    gamma = ed.point_mul(x, H)
    k = int.from_bytes(hashlib.sha512(prefix + ed.point_compress(H)).digest(), "little") % q
    c = challenge([Y, H, gamma, ed.point_mul(k, G), ed.point_mul(k, H)])
    s = (k + c * x) % q
    return ed.point_compress(gamma) + c.to_bytes(16, "little") + s.to_bytes(32, "little")


def verify(pk, alpha, pi):
    """RFC 9381 5.3 with validate_key = TRUE; returns beta or None."""
    if len(pk) != 32 or len(pi) != 80:
        return None
    Y = ed.point_decompress(pk)
    if Y is None or small_order(Y):
        return None
    gamma = ed.point_decompress(pi[:32])
    if gamma is None:
        return None
    c = int.from_bytes(pi[32:48], "little")
    s = int.from_bytes(pi[48:80], "little")
    if s >= q:
        return None
    H = encode_to_curve(pk, alpha)
    U = ed.point_add(ed.point_mul(s, G), ed.point_neg(ed.point_mul(c, Y)))
    V = ed.point_add(ed.point_mul(s, H), ed.point_neg(ed.point_mul(c, gamma)))
    if challenge([Y, H, gamma, U, V]) != c:
        return None
    return proof_to_hash(gamma)


def seed_key(text):
    """core/keys.ts secretFromSeedPhrase: sha256("DOIN/secret/" + text)."""
    return hashlib.sha256(("DOIN/secret/" + text).encode("utf-8")).digest()


def main():
    vectors = []
    for name, sk, pk, alpha, pi, beta in RFC9381:
        sk_b, alpha_b = bytes.fromhex(sk), bytes.fromhex(alpha)
        got_pi = prove(sk_b, alpha_b)
        if got_pi.hex() != pi or ed.secret_to_public(sk_b).hex() != pk:
            sys.exit("%s: prove() does not reproduce the RFC's proof" % name)
        got_beta = verify(bytes.fromhex(pk), alpha_b, got_pi)
        if got_beta is None or got_beta.hex() != beta:
            sys.exit("%s: verify() does not reproduce the RFC's output" % name)
        vectors.append({"name": "RFC 9381 " + name, "secret": sk, "public": pk, "alpha": alpha, "proof": pi, "output": beta})

    # Proofs under DOIN's deterministic test keys, on inputs of the chain's size (32 bytes) and others.
    for i in range(6):
        sk = seed_key("vrf-%d" % i)
        pk = ed.secret_to_public(sk)
        alpha = hashlib.sha256(b"DOIN/vrf-vector/" + bytes([i])).digest()[: [32, 0, 1, 32, 64, 100][i]]
        pi = prove(sk, alpha)
        beta = verify(pk, alpha, pi)
        assert beta is not None
        vectors.append({"name": "seed key vrf-%d, %d-byte input" % (i, len(alpha)), "secret": sk.hex(), "public": pk.hex(), "alpha": alpha.hex(), "proof": pi.hex(), "output": beta.hex()})

    # Refusals: each must verify to nothing.
    sk, alpha = seed_key("vrf-0"), hashlib.sha256(b"DOIN/vrf-vector/refusals").digest()
    pk = ed.secret_to_public(sk)
    pi = prove(sk, alpha)
    assert verify(pk, alpha, pi) is not None

    def refuse(name, pk_b, alpha_b, pi_b):
        assert verify(pk_b, alpha_b, pi_b) is None, name
        vectors.append({"name": name, "public": pk_b.hex(), "alpha": alpha_b.hex(), "proof": pi_b.hex(), "output": None})

    for byte in (0, 31, 32, 47, 48, 79):
        bad = bytearray(pi)
        bad[byte] ^= 0x01
        refuse("bit 0 of proof byte %d flipped" % byte, pk, alpha, bytes(bad))
    refuse("another input", pk, alpha[:-1] + bytes([alpha[-1] ^ 1]), pi)
    refuse("another key's proof", ed.secret_to_public(seed_key("vrf-1")), alpha, pi)
    s = int.from_bytes(pi[48:], "little")
    refuse("s + L (non-canonical s)", pk, alpha, pi[:48] + (s + q).to_bytes(32, "little"))
    # a Gamma that does not decode: y = p (non-canonical) and a y with no x
    refuse("Gamma with y = p", pk, alpha, ed.raw_encode(p, 0) + pi[32:])
    y = 2
    while ed.recover_x(y, 0) is not None:
        y += 1
    refuse("Gamma not on the curve", pk, alpha, ed.raw_encode(y, 0) + pi[32:])
    # small-order public key (the identity) and a non-canonical encoding
    refuse("public key of small order (identity)", ed.raw_encode(1, 0), alpha, pi)
    refuse("public key with y = p + 1", ed.raw_encode(p + 1, 0), alpha, pi)

    write_vectors(
        "vrf.json",
        "ECVRF-EDWARDS25519-SHA512-TAI (RFC 9381 suite 0x03): proofs and outputs, and proofs that must be refused (output null)",
        "RFC 9381 Appendix B.3 (the first three vectors, reproduced before they are written) and test/vectors/gen/gen_vrf.py",
        "RFC 9381 sections 5.1-5.4 in Python on RFC 8032 section 6's reference arithmetic (test/vectors/gen/rfc8032.py); validate_key = TRUE",
        vectors,
    )


if __name__ == "__main__":
    main()
