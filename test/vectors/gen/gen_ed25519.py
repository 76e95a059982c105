#!/usr/bin/env python3
"""Writes test/vectors/ed25519.json: RFC 8032 section 7.1 vectors and DOIN's edge cases.

    python3 test/vectors/gen/gen_ed25519.py

Independent of the TypeScript under test: the curve arithmetic is RFC 8032
section 6's Python reference code (rfc8032.py), the encoding pre-check is
re-implemented here from its definition (small order is decided by computing
[8]P, not by comparing against a list of y values).
"""
import hashlib
import sys

import rfc8032 as ed
from vector_io import write_vectors

p, q, G, IDENTITY = ed.p, ed.q, ed.G, ed.IDENTITY
MASK255 = (1 << 255) - 1

# RFC 8032 section 7.1, copied from the RFC: (name, secret, public, message, signature), all hex.
RFC8032 = [
    ("TEST 1",
     "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
     "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
     "",
     "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"),
    ("TEST 2",
     "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
     "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
     "72",
     "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"),
    ("TEST 3",
     "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
     "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
     "af82",
     "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a"),
    ("TEST 1024",
     "f5e5767cf153319517630f226876b86c8160cc583bc013744c6bf255f5cc0ee5",
     "278117fc144c72340f67d0f2316e8386ceffbf2b2428c9c51fef7c597f1d426e",
     "08b8b2b733424243760fe426a4b54908632110a66c2f6591eabd3345e3e4eb98fa6e264bf09efe12ee50f8f54e9f77b1"
     "e355f6c50544e23fb1433ddf73be84d879de7c0046dc4996d9e773f4bc9efe5738829adb26c81b37c93a1b270b20329d"
     "658675fc6ea534e0810a4432826bf58c941efb65d57a338bbd2e26640f89ffbc1a858efcb8550ee3a5e1998bd177e93a"
     "7363c344fe6b199ee5d02e82d522c4feba15452f80288a821a579116ec6dad2b3b310da903401aa62100ab5d1a36553e"
     "06203b33890cc9b832f79ef80560ccb9a39ce767967ed628c6ad573cb116dbefefd75499da96bd68a8a97b928a8bbc10"
     "3b6621fcde2beca1231d206be6cd9ec7aff6f6c94fcd7204ed3455c68c83f4a41da4af2b74ef5c53f1d8ac70bdcb7ed1"
     "85ce81bd84359d44254d95629e9855a94a7c1958d1f8ada5d0532ed8a5aa3fb2d17ba70eb6248e594e1a2297acbbb39d"
     "502f1a8c6eb6f1ce22b3de1a1f40cc24554119a831a9aad6079cad88425de6bde1a9187ebb6092cf67bf2b13fd65f270"
     "88d78b7e883c8759d2c4f5c65adb7553878ad575f9fad878e80a0c9ba63bcbcc2732e69485bbc9c90bfbd62481d9089b"
     "eccf80cfe2df16a2cf65bd92dd597b0707e0917af48bbb75fed413d238f5555a7a569d80c3414a8d0859dc65a46128ba"
     "b27af87a71314f318c782b23ebfe808b82b0ce26401d2e22f04d83d1255dc51addd3b75a2b1ae0784504df543af8969b"
     "e3ea7082ff7fc9888c144da2af58429ec96031dbcad3dad9af0dcbaaaf268cb8fcffead94f3c7ca495e056a9b47acdb7"
     "51fb73e666c6c655ade8297297d07ad1ba5e43f1bca32301651339e22904cc8c42f58c30c04aafdb038dda0847dd988d"
     "cda6f3bfd15c4b4c4525004aa06eeff8ca61783aacec57fb3d1f92b0fe2fd1a85f6724517b65e614ad6808d6f6ee34df"
     "f7310fdc82aebfd904b01e1dc54b2927094b2db68d6f903b68401adebf5a7e08d78ff4ef5d63653a65040cf9bfd4aca7"
     "984a74d37145986780fc0b16ac451649de6188a7dbdf191f64b5fc5e2ab47b57f7f7276cd419c17a3ca8e1b939ae49e4"
     "88acba6b965610b5480109c8b17b80e1b7b750dfc7598d5d5011fd2dcc5600a32ef5b52a1ecc820e308aa342721aac09"
     "43bf6686b64b2579376504ccc493d97e6aed3fb0f9cd71a43dd497f01f17c0e2cb3797aa2a2f256656168e6c496afc5f"
     "b93246f6b1116398a346f1a641f3b041e989f7914f90cc2c7fff357876e506b50d334ba77c225bc307ba537152f3f161"
     "0e4eafe595f6d9d90d11faa933a15ef1369546868a7f3a45a96768d40fd9d03412c091c6315cf4fde7cb68606937380d"
     "b2eaaa707b4c4185c32eddcdd306705e4dc1ffc872eeee475a64dfac86aba41c0618983f8741c5ef68d3a101e8a3b8ca"
     "c60c905c15fc910840b94c00a0b9d0",
     "0aab4c900501b3e24d7cdf4663326a3a87df5e4843b2cbdb67cbf6e460fec350aa5371b1508f9f4528ecea23c436d94b5e8fcd4f681e30a6ac00a9704a188a03"),
    ("TEST SHA(abc)",
     "833fe62409237b9d62ec77587520911e9a759cec1d19755b7da901b96dca3d42",
     "ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf",
     hashlib.sha512(b"abc").hexdigest(),
     "dc2a4459e7369633a52b1bf277839a00201009a3efbf3ecb69bea2186c26b58909351fc9ac90b3ecfdfbc7c66431e0303dca179c138ac17ad9bef1177331a704"),
]


# ---------------------------------------------------------------------------
# Models of the three verifiers the vectors describe.

def point_order(P):
    """Order of a torsion point (1, 2, 4 or 8), or None when [8]P is not the identity."""
    for n in (1, 2, 4, 8):
        if ed.point_equal(ed.point_mul(n, P), IDENTITY):
            return n
    return None


def small_order_y(y):
    """Whether the points with this y coordinate (either sign) have order dividing 8."""
    x = ed.recover_x(y, 0)
    if x is None:
        return False
    return point_order((x, y, 1, x * y % p)) is not None


def is_lower_hex(s, n):
    return isinstance(s, str) and len(s) == n and all(c in "0123456789abcdef" for c in s)


def precheck(pub_hex, sig_hex):
    """DOIN's encoding rules, checked in this order (first failure wins):
    bad_length, non_canonical_s, non_canonical_point (A or R), small_order_point (A or R)."""
    if not is_lower_hex(pub_hex, 64) or not is_lower_hex(sig_hex, 128):
        return "bad_length"
    pub, sig = bytes.fromhex(pub_hex), bytes.fromhex(sig_hex)
    if int.from_bytes(sig[32:], "little") >= q:
        return "non_canonical_s"
    ys = [int.from_bytes(b, "little") & MASK255 for b in (pub, sig[:32])]
    if any(y >= p for y in ys):
        return "non_canonical_point"
    if any(small_order_y(y) for y in ys):
        return "small_order_point"
    return "ok"


def verify_cofactored(pub, msg, sig):
    """Strict decoding (y < p, RFC 8032 5.1.3), S < q, cofactored equation [8][S]B = [8]R + [8][k]A."""
    A, R = ed.point_decompress(pub), ed.point_decompress(sig[:32])
    if A is None or R is None:
        return False
    s = int.from_bytes(sig[32:], "little")
    if s >= q:
        return False
    k = ed.sha512_modq(sig[:32] + pub + msg)
    lhs = ed.point_mul(8, ed.point_mul(s, G))
    rhs = ed.point_mul(8, ed.point_add(R, ed.point_mul(k, A)))
    return ed.point_equal(lhs, rhs)


def lenient_decode(b):
    raw = int.from_bytes(b, "little")
    sign, y = raw >> 255, (raw & MASK255) % p
    x = ed.recover_x(y, 0)
    if x is None:
        return None
    if sign and x != 0:
        x = p - x
    return (x, y, 1, x * y % p)


def bare_equation(pub_hex, msg, sig_hex):
    """[S]B == R + [k]A with no encoding checks at all: y taken mod p, sign bit of x = 0 ignored,
    S not reduced, k = SHA-512(R bytes || A bytes || M) mod L. None when a point is not on the curve
    or the lengths are wrong. Documents what the pre-checks protect against."""
    if not is_lower_hex(pub_hex, 64) or not is_lower_hex(sig_hex, 128):
        return None
    pub, sig = bytes.fromhex(pub_hex), bytes.fromhex(sig_hex)
    A, R = lenient_decode(pub), lenient_decode(sig[:32])
    if A is None or R is None:
        return None
    s = int.from_bytes(sig[32:], "little")
    k = ed.sha512_modq(sig[:32] + pub + msg)
    return ed.point_equal(ed.point_mul(s, G), ed.point_add(R, ed.point_mul(k, A)))


def consensus(pub_hex, msg, sig_hex):
    """DOIN: the pre-checks, then RFC 8032's cofactorless verify (section 6 reference code)."""
    if precheck(pub_hex, sig_hex) != "ok":
        return False
    return ed.verify(bytes.fromhex(pub_hex), msg, bytes.fromhex(sig_hex))


def noble_strict(pub_hex, msg, sig_hex):
    """verifySignatureNoble: the same pre-checks, then the cofactored equation."""
    if precheck(pub_hex, sig_hex) != "ok":
        return False
    return verify_cofactored(bytes.fromhex(pub_hex), msg, bytes.fromhex(sig_hex))


vectors = []


def add(name, pub, msg, sig, reason, expect=None, want_precheck=None, secret=None):
    pub_hex = pub.hex() if isinstance(pub, bytes) else pub
    sig_hex = sig.hex() if isinstance(sig, bytes) else sig
    v = {
        "name": name,
        "secret": secret.hex() if secret is not None else None,
        "pub": pub_hex,
        "msg": msg.hex(),
        "sig": sig_hex,
        "expect": consensus(pub_hex, msg, sig_hex),
        "noble": noble_strict(pub_hex, msg, sig_hex),
        "precheck": precheck(pub_hex, sig_hex),
        "bare_equation": bare_equation(pub_hex, msg, sig_hex),
        "reason": reason,
    }
    # The construction below says what each case is meant to be; the models must agree.
    if expect is not None:
        assert v["expect"] == expect, (name, v)
    if want_precheck is not None:
        assert v["precheck"] == want_precheck, (name, v)
    if secret is not None:
        assert ed.secret_to_public(secret).hex() == pub_hex and ed.sign(secret, msg).hex() == sig_hex, name
    assert not any(x["name"] == name for x in vectors), name
    vectors.append(v)
    return v


def le32(n):
    return int.to_bytes(n, 32, "little")


def scalar(label):
    return ed.sha512_modq(b"DOIN test scalar/" + label.encode())


def grind(prefix, R_bytes, A_bytes, modulus):
    """First message prefix||i whose challenge k is divisible by modulus."""
    for i in range(10000):
        m = prefix + str(i).encode()
        if ed.sha512_modq(R_bytes + A_bytes + m) % modulus == 0:
            return m
    raise RuntimeError("grind failed")


def grind_not(prefix, R_bytes, A_bytes, modulus):
    for i in range(10000):
        m = prefix + str(i).encode()
        if ed.sha512_modq(R_bytes + A_bytes + m) % modulus != 0:
            return m
    raise RuntimeError("grind failed")


def main():
    # --- RFC 8032 section 7.1: the reference code must reproduce them exactly.
    for name, sk, pk, msg, sig in RFC8032:
        secret, m = bytes.fromhex(sk), bytes.fromhex(msg)
        assert ed.secret_to_public(secret).hex() == pk, name
        assert ed.sign(secret, m).hex() == sig, name
        assert ed.verify(bytes.fromhex(pk), m, bytes.fromhex(sig)), name
        add("RFC 8032 " + name, pk, m, sig, "RFC 8032 section 7.1 test vector", True, "ok", secret)
    assert len(bytes.fromhex(RFC8032[3][3])) == 1023

    # --- The torsion subgroup: an order-8 point from the torsion component of a curve point.
    T8 = None
    for y in range(2, 1000):
        x = ed.recover_x(y, 0)
        if x is None:
            continue
        T = ed.point_mul(q, (x, y, 1, x * y % p))
        if point_order(T) == 8:
            T8 = T
            break
    torsion = [ed.point_mul(i, T8) for i in range(8)]
    encodings = sorted({ed.point_compress(T) for T in torsion})
    assert len(encodings) == 8
    c8 = min(int.from_bytes(e, "little") & MASK255 for e in encodings
             if (int.from_bytes(e, "little") & MASK255) not in (0, 1, p - 1))
    sys.stderr.write("c8 = %d (0x%064x), p - c8 = 0x%064x\n" % (c8, c8, p - c8))
    small_y = {0, 1, p - 1, c8, p - c8}
    assert {int.from_bytes(e, "little") & MASK255 for e in encodings} == small_y
    # The two x = 0 points (y = 1 and y = p - 1) also have a sign-bit-set encoding, which RFC 8032
    # decoding rejects (x = 0 with x_0 = 1) but which carries a small-order y.
    torsion_encodings = [(e, point_order(ed.point_decompress(e))) for e in encodings]
    torsion_encodings += [(ed.raw_encode(1, 1), 1), (ed.raw_encode(p - 1, 1), 2)]

    sk1 = bytes.fromhex(RFC8032[0][1])
    a1, _ = ed.secret_expand(sk1)
    A1 = ed.secret_to_public(sk1)
    sk2 = bytes.fromhex(RFC8032[1][1])
    A2 = ed.secret_to_public(sk2)
    msg = b"DOIN edge case"
    good = ed.sign(sk1, msg)
    R_good, S_good = good[:32], int.from_bytes(good[32:], "little")
    add("valid: DOIN message", A1, msg, good, "honest signature over a short message", True, "ok", sk1)

    # --- Ordinary failures.
    add("wrong message", A1, b"DOIN edge casf", good, "signature over a different message", False, "ok")
    add("wrong message: empty", A1, b"", good, "signature over a different (empty) message", False, "ok")
    add("wrong key", A2, msg, good, "signature by another key (RFC TEST 2's public key)", False, "ok")
    for byte, bit in [(0, 0), (13, 5), (31, 6), (31, 7)]:
        bad = bytearray(good)
        bad[byte] ^= 1 << bit
        add("flipped bit in R: byte %d bit %d" % (byte, bit), A1, msg, bytes(bad),
            "one bit of R flipped" + (" (the sign bit of x)" if (byte, bit) == (31, 7) else ""), False)
    for byte, bit in [(32, 0), (50, 3)]:
        bad = bytearray(good)
        bad[byte] ^= 1 << bit
        add("flipped bit in S: byte %d bit %d" % (byte, bit), A1, msg, bytes(bad), "one bit of S flipped", False, "ok")
    bad_pub = bytearray(A1)
    bad_pub[5] ^= 0x10
    add("flipped bit in A", bytes(bad_pub), msg, good, "one bit of the public key flipped", False)

    # --- S out of range.
    add("non-canonical S: S + L", A1, msg, R_good + le32(S_good + q),
        "S + L: the same point [S]B, a malleated signature; RFC 8032 requires S < L", False, "non_canonical_s")
    t1_sig = bytes.fromhex(RFC8032[0][4])
    t1_S = int.from_bytes(t1_sig[32:], "little")
    add("non-canonical S: RFC TEST 1 with S + L", RFC8032[0][2], b"", t1_sig[:32] + le32(t1_S + q),
        "TEST 1 malleated with S + L", False, "non_canonical_s")
    add("non-canonical S: S + 2L", A1, msg, R_good + le32(S_good + 2 * q), "S + 2L", False, "non_canonical_s")
    add("S = L", A1, msg, R_good + le32(q), "S equal to the group order", False, "non_canonical_s")
    add("S = L - 1", A1, msg, R_good + le32(q - 1), "largest canonical S (the signature is wrong)", False, "ok")
    add("S = 2^256 - 1", A1, msg, R_good + b"\xff" * 32, "all bits of S set", False, "non_canonical_s")
    add("S = 0", A1, msg, R_good + le32(0), "S = 0 is canonical (the signature is wrong)", False, "ok")

    # --- Small-order public keys: each torsion encoding, with a signature the bare cofactorless
    # equation accepts (R = [r]B, S = r, and a message whose challenge k kills the torsion point).
    for i, (enc, order) in enumerate(torsion_encodings):
        r = scalar("small-order A %d" % i)
        R = ed.point_compress(ed.point_mul(r, G))
        m = grind(b"DOIN small-order A %d/" % i, R, enc, order)
        v = add("small-order A: order %d, %s" % (order, enc.hex()), enc, m, R + le32(r),
                "public key of order %d; the bare equation [S]B = R + [k]A holds because [k]A = 0" % order
                + ("; sign bit set on x = 0 (not a valid RFC 8032 encoding)" if i >= 8 else ""),
                False, "small_order_point")
        assert v["bare_equation"] is True and v["noble"] is False

    # --- Small-order R with an honest key: S = k*a. The cofactorless equation holds only for
    # R = identity; the cofactored one holds for every torsion R.
    for i, (enc, order) in enumerate(torsion_encodings):
        m = b"DOIN small-order R %d" % i
        k = ed.sha512_modq(enc + A1 + m)
        v = add("small-order R: order %d, %s" % (order, enc.hex()), A1, m, enc + le32(k * a1 % q),
                "R of order %d, S = k*a: [8]([S]B - [k]A) = [8]R = 0, so a cofactored verifier without the "
                "small-order check accepts" % order + ("; the cofactorless equation holds too (R = identity)" if order == 1 else ""),
                False, "small_order_point")
        assert v["bare_equation"] is (order == 1)

    # --- Mixed-order public key A = [a]B + T8 (canonical, not small order: passes the pre-check).
    A_mixed_pt = ed.point_add(ed.point_mul(a1, G), T8)
    A_mixed = ed.point_compress(A_mixed_pt)
    r = scalar("mixed-order A")
    R = ed.point_compress(ed.point_mul(r, G))
    for label, m, exp in [("k = 0 mod 8", grind(b"DOIN mixed-order A/", R, A_mixed, 8), True),
                          ("k != 0 mod 8", grind_not(b"DOIN mixed-order A/", R, A_mixed, 8), False)]:
        k = ed.sha512_modq(R + A_mixed + m)
        v = add("mixed-order A: " + label, A_mixed, m, R + le32((r + k * a1) % q),
                "A = [a]B + T (T of order 8), S = r + k*a: cofactored verifiers accept; the cofactorless "
                "equation needs [k]T = 0, i.e. k = 0 mod 8" + (" (holds here)" if exp else " (fails here)"),
                exp, "ok")
        assert v["noble"] is True
    # --- Mixed-order R = [r]B + T8 with an honest key.
    Rm = ed.point_compress(ed.point_add(ed.point_mul(r, G), T8))
    m = b"DOIN mixed-order R"
    k = ed.sha512_modq(Rm + A1 + m)
    v = add("mixed-order R", A1, m, Rm + le32((r + k * a1) % q),
            "R = [r]B + T (T of order 8), S = r + k*a: cofactored verifiers accept, cofactorless ones "
            "never do (the torsion part of R cannot cancel)", False, "ok")
    assert v["noble"] is True

    # --- Non-canonical encodings (y >= p).
    for label, y, sign, order in [("p + 1 (the identity)", p + 1, 0, 1), ("p + 1 with sign bit", p + 1, 1, 1),
                                  ("p (y = 0, order 4)", p, 0, 4), ("p with sign bit (y = 0, order 4)", p, 1, 4)]:
        enc = ed.raw_encode(y, sign)
        r = scalar("non-canonical A " + label)
        R = ed.point_compress(ed.point_mul(r, G))
        m = grind(b"DOIN non-canonical A/", R, enc, order)
        v = add("non-canonical A: y = " + label, enc, m, R + le32(r),
                "public key encodes y >= p; decoded mod p it has order %d, and the bare equation holds" % order,
                False, "non_canonical_point")
        assert v["bare_equation"] is True
    big = None
    for y0 in range(2, 19):
        if ed.recover_x(y0, 0) is not None and not small_order_y(y0):
            big = y0
            break
    assert big is not None
    add("non-canonical A: y = p + %d" % big, ed.raw_encode(p + big, 0), msg, good,
        "public key encodes y = p + %d (a large-order point, y mod p = %d)" % (big, big), False, "non_canonical_point")
    add("non-canonical A: y = 2^255 - 1", ed.raw_encode(MASK255, 0), msg, good,
        "largest y below 2^255", False, "non_canonical_point")
    add("non-canonical A: y = 2^255 - 1, sign bit", b"\xff" * 32, msg, good, "all 256 bits set", False, "non_canonical_point")
    # R = identity encoded as y = p + 1, S = k*a: equal as points, different as bytes.
    enc = ed.raw_encode(p + 1, 0)
    m = b"DOIN non-canonical R"
    k = ed.sha512_modq(enc + A1 + m)
    v = add("non-canonical R: y = p + 1 (the identity)", A1, m, enc + le32(k * a1 % q),
            "R encodes the identity as y = p + 1 and S = k*a: a verifier that compares points instead of "
            "encodings would accept", False, "non_canonical_point")
    assert v["bare_equation"] is True
    # Boundary: y = p - 1 is canonical (and small order); y = p - 2 is canonical.
    ym2 = ed.raw_encode(p - 2, 0)
    add("A with y = p - 2", ym2, msg, good,
        "canonical y just below p - 1" + ("" if ed.recover_x(p - 2, 0) is not None else " (not on the curve)"),
        False, "ok")

    # --- Points not on the curve (canonical, so the pre-check passes; verification must fail).
    off = [y for y in range(2, 100) if ed.recover_x(y, 0) is None][:1]
    add("A not on the curve: y = %d" % off[0], ed.raw_encode(off[0], 0), msg, good,
        "no x satisfies the curve equation for this y", False, "ok")
    add("R not on the curve: y = %d" % off[0], A1, msg, ed.raw_encode(off[0], 0) + good[32:],
        "no x satisfies the curve equation for R's y", False, "ok")

    # --- Malformed hex.
    g, a = good.hex(), A1.hex()
    for label, pub_hex, sig_hex in [
        ("public key 31 bytes", a[:62], g), ("public key 33 bytes", a + "00", g),
        ("signature 63 bytes", a, g[:126]), ("signature 65 bytes", a, g + "00"),
        ("empty public key", "", g), ("empty signature", a, ""),
        ("upper-case signature hex", a, g.upper()), ("upper-case public key hex", a.upper(), g),
        ("0x prefix on the public key", "0x" + a[2:], g), ("non-hex character in the signature", a, "g" + g[1:]),
        ("odd-length signature", a, g[:127]),
    ]:
        add("wrong length: " + label, pub_hex, msg, sig_hex,
            "not exactly 64 (public key) / 128 (signature) lower-case hex characters", False, "bad_length")

    # The brief for the test file: every vector says what the consensus verifier returns.
    write_vectors(
        "ed25519.json",
        "Ed25519 verification vectors for DOIN's verifySignature (consensus) and verifySignatureNoble: "
        "RFC 8032 section 7.1 plus edge cases (malleated S, small-order and mixed-order points, "
        "non-canonical encodings, points off the curve, malformed hex).",
        "RFC 8032 section 7.1 (TEST 1, 2, 3, 1024, SHA(abc)); edge cases constructed by "
        "test/vectors/gen/gen_ed25519.py.",
        "python3 test/vectors/gen/gen_ed25519.py (standard library only; curve arithmetic is RFC 8032 section 6's "
        "Python reference code in gen/rfc8032.py, which reproduces every RFC vector before anything is written). "
        "Fields: pub, msg, sig are hex (msg may be empty); secret is the 32-byte seed (hex) for the vectors made by an honest signer "
        "(sign(secret, msg) must give sig), null otherwise. precheck = DOIN's encoding rules, first failure wins in "
        "this order: bad_length (not exactly 64/128 lower-case hex chars), non_canonical_s (S >= L), "
        "non_canonical_point (A or R has y >= p after clearing bit 255), small_order_point (A or R has a y whose "
        "points have order dividing 8, found by computing [8]P; these are y in {0, 1, p-1, c8, p-c8} with "
        "c8 = 0x%064x). expect = precheck is ok AND RFC 8032 section 6 verify (strict decoding, cofactorless "
        "[S]B = R + [k]A): the consensus result, what verifySignature must return on every runtime. noble = "
        "precheck is ok AND the cofactored equation [8][S]B = [8]R + [8][k]A (what verifySignatureNoble, i.e. "
        "@noble/ed25519 verify with zip215: false, returns); it differs from expect only for mixed-order A or R. "
        "bare_equation = [S]B == R + [k]A with no encoding checks at all (y reduced mod p, S unreduced, x = 0 sign "
        "bit ignored), null when a point is off the curve or the hex is malformed: it shows what the pre-checks "
        "protect against (bare_equation true while expect is false). reason: what the case is." % c8,
        vectors,
    )


if __name__ == "__main__":
    main()
