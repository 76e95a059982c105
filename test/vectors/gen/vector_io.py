"""What every vector generator shares: where the fixtures go, the tagged hashes of
core/hash.ts, and the two ways a fixture is written (indented JSON; one line per leaf).
Standard library only. Run any generator with `python3 test/vectors/gen/gen_<name>.py`
from the repository root; it rewrites test/vectors/<name>.json deterministically."""
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


def hash_of(tag, value):
    """core/hash.ts hashOf: sha256("DOIN/<tag>/" + RFC 8785 canonical JSON). For objects of
    ASCII-keyed strings and safe integers, sorted compact json.dumps is the RFC 8785 form."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return tagged_hash(tag, text.encode("utf-8")).hex()


def _is_leaf(v):
    if isinstance(v, list):
        return all(not isinstance(x, (list, dict)) for x in v)
    if isinstance(v, dict):
        return all(not isinstance(x, (list, dict)) for x in v.values())
    return True


def dumps(v, level=0):
    """JSON with one line per leaf (scalars, flat lists, flat objects): diff-friendly and compact."""
    if _is_leaf(v):
        return json.dumps(v, ensure_ascii=False, separators=(", ", ": "))
    pad = " " * (level + 1)
    end = " " * level
    if isinstance(v, list):
        return "[\n" + ",\n".join(pad + dumps(x, level + 1) for x in v) + "\n" + end + "]"
    items = [pad + json.dumps(k, ensure_ascii=False) + ": " + dumps(x, level + 1) for k, x in v.items()]
    return "{\n" + ",\n".join(items) + "\n" + end + "}"


def write_fixture(name, description, source, how_computed, vectors):
    """test/vectors/<name>.json, one line per leaf."""
    doc = {"description": description, "source": source, "how_computed": how_computed, "vectors": vectors}
    path = os.path.join(VECTORS_DIR, name + ".json")
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(dumps(doc))
        f.write("\n")
    print("wrote %s: %d vectors" % (path, len(vectors)))
