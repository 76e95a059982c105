"""Helpers for the identity/encoding/hash vector generators (gen_ed25519, gen_encoding,
gen_merkle, gen_address). Standard library only."""
import hashlib
import json
import os

VECTORS_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def tagged_hash(tag, data):
    """sha256("DOIN/<tag>/" || data), the rule of core/hash.ts taggedHashBytes."""
    return hashlib.sha256(("DOIN/%s/" % tag).encode("ascii") + data).digest()


def write_vectors(filename, description, source, how_computed, vectors):
    doc = {
        "description": description,
        "source": source,
        "how_computed": how_computed,
        "vectors": vectors,
    }
    path = os.path.join(VECTORS_DIR, filename)
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(json.dumps(doc, indent=2, ensure_ascii=False))
        f.write("\n")
    print("wrote %s (%d vectors)" % (path, len(vectors)))
