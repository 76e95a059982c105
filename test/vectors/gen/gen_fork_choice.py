#!/usr/bin/env python3
"""Writes test/vectors/fork-choice.json: headers added to a fork choice in a
given order, and the expected result of every add (core/fork-choice.ts).

    python3 test/vectors/gen/gen_fork_choice.py

Standard library only. The model below restates the rules, not the
TypeScript's algorithm: a new block becomes the head only when its key
(cumulativeWork, schedule weight, lower beacon) is strictly greater than the
head's, and the head is checked to be a maximum of every accepted block;
the schedule weight of a chain is recomputed from the ranks of all its blocks
(2 in turn, 1 out of turn); ancestry is checked with ancestor sets; the common
ancestor of a reorganization is the first block of the new head's chain that
is also on the old head's chain.
"""
import hashlib
import random
from collections import OrderedDict

from vector_io import write_fixture

REJECTED_MEMORY = 4096


def h(label):
    return hashlib.sha256(("fork-choice/" + label).encode("utf-8")).hexdigest()


def head_key(model, n):
    # greater work, then greater schedule weight, then lower beacon (complement each hex digit to negate it)
    weight = sum(2 if model.nodes[a]["rank"] == 0 else 1 for a in model.ancestors(n["hash"]) if model.nodes[a]["height"] > 0)
    inv = "".join("%x" % (15 - int(c, 16)) for c in n["beacon"])
    return (n["cumulativeWork"], weight, inv)


class Model:
    def __init__(self, genesis, depth, checkpoints):
        self.nodes = {genesis["hash"]: genesis}
        self.depth = depth
        self.checkpoints = dict(checkpoints)
        self.head = genesis
        self.finalized = genesis
        self.rejected = OrderedDict()

    def ancestors(self, hsh):
        """Hashes of the block and all its known ancestors."""
        out = []
        n = self.nodes.get(hsh)
        while n is not None:
            out.append(n["hash"])
            n = self.nodes.get(n["parent"])
        return out

    def at_height(self, hsh, height):
        for a in self.ancestors(hsh):
            if self.nodes[a]["height"] == height:
                return self.nodes[a]
        return None

    def remember(self, hsh, code):
        self.rejected.pop(hsh, None)
        self.rejected[hsh] = code
        while len(self.rejected) > REJECTED_MEMORY:
            self.rejected.popitem(last=False)

    def fail(self, code, hsh=None):
        if hsh is not None:
            self.remember(hsh, code)
        return {"ok": False, "code": code, "head": self.head["hash"], "finalized": self.finalized["hash"]}

    def add(self, node):
        if node["hash"] in self.nodes:
            return {"ok": True, "head": self.head["hash"], "finalized": self.finalized["hash"], "reorg": None}
        parent = self.nodes.get(node["parent"])
        if parent is None:
            if node["parent"] in self.rejected:
                return self.fail(self.rejected[node["parent"]], node["hash"])
            if node["height"] <= self.finalized["height"]:
                return self.fail("BELOW_FINALITY", node["hash"])
            return self.fail("BAD_PARENT")
        if node["rank"] < 0:
            return self.fail("BAD_RANK")
        if node["height"] != parent["height"] + 1:
            return self.fail("BAD_HEIGHT")
        if node["cumulativeWork"] < parent["cumulativeWork"]:
            return self.fail("BAD_WORK")
        if self.finalized["hash"] not in self.ancestors(parent["hash"]):
            return self.fail("BELOW_FINALITY", node["hash"])
        cp = self.checkpoints.get(node["height"])
        if cp is not None and cp != node["hash"]:
            return self.fail("CHECKPOINT_CONFLICT", node["hash"])
        self.nodes[node["hash"]] = node
        old = self.head
        best = node if head_key(self, node) > head_key(self, old) else old
        assert head_key(self, best) == max(head_key(self, n) for n in self.nodes.values())
        reorg = None
        if best["hash"] != old["hash"]:
            self.head = best
            old_chain = set(self.ancestors(old["hash"]))
            if old["hash"] not in self.ancestors(best["hash"]):
                common = next(self.nodes[a] for a in self.ancestors(best["hash"]) if a in old_chain)
                reorg = {"from": old["hash"], "to": best["hash"], "commonAncestor": common["hash"],
                         "depth": old["height"] - common["height"]}
            reached = [c for c in self.checkpoints if c <= best["height"]]
            target = max([best["height"] - self.depth, 0] + reached)
            if target > self.finalized["height"]:
                self.finalized = self.at_height(best["hash"], target)
        return {"ok": True, "head": self.head["hash"], "finalized": self.finalized["hash"], "reorg": reorg}


class Scenario:
    def __init__(self, name, depth, checkpoints=None):
        self.name = name
        self.depth = depth
        self.blocks = {}
        self.genesis = {"hash": h(name + "/G"), "parent": "0" * 64, "height": 0, "cumulativeWork": 0, "rank": 0, "beacon": h(name + "/beacon/G")}
        self.blocks["G"] = self.genesis
        self.cp_labels = checkpoints or {}
        self.steps = []
        self.model = None

    def block(self, label, parent, work=1, height=None, cw=None, hash_label=None, rank=0, beacon_label=None):
        p = self.blocks.get(parent)
        parent_hash = p["hash"] if p is not None else h(self.name + "/" + parent)
        ph = p["height"] if p is not None else 0
        pw = p["cumulativeWork"] if p is not None else 0
        b = {
            "hash": h(self.name + "/" + (hash_label or label)),
            "parent": parent_hash,
            "height": ph + 1 if height is None else height,
            "cumulativeWork": pw + work if cw is None else cw,
            "rank": rank,
            "beacon": h(self.name + "/beacon/" + (beacon_label or label)),
        }
        self.blocks[label] = b
        return b

    def ensure_model(self):
        if self.model is None:
            cps = {height: self.blocks[label]["hash"] if label in self.blocks else h(self.name + "/" + label)
                   for height, label in self.cp_labels.items()}
            self.checkpoints = cps
            self.model = Model(self.genesis, self.depth, cps)

    def add(self, label, parent=None, **kw):
        """Adds block `label` (defined now if `parent` is given) and records the expected outcome."""
        self.ensure_model()
        b = self.block(label, parent, **kw) if parent is not None else self.blocks[label]
        expect = self.model.add(b)
        self.steps.append({"label": label, "node": wire(b), "expect": expect})
        return expect

    def vector(self):
        self.ensure_model()
        return {
            "name": self.name,
            "finalityDepth": self.depth,
            "checkpoints": [{"height": k, "hash": v} for k, v in sorted(self.checkpoints.items())],
            "genesis": wire(self.genesis),
            "steps": self.steps,
        }


def wire(n):
    return {"hash": n["hash"], "parent": n["parent"], "height": n["height"], "cumulativeWork": str(n["cumulativeWork"]), "rank": n["rank"], "beacon": n["beacon"]}


def scenarios():
    out = []

    s = Scenario("linear chain, depth 2", 2)
    for i in range(1, 7):
        e = s.add("b%d" % i, "G" if i == 1 else "b%d" % (i - 1))
        assert e["head"] == s.blocks["b%d" % i]["hash"]
    assert e["finalized"] == s.blocks["b4"]["hash"]
    out.append(s.vector())

    s = Scenario("heavier shorter branch wins", 10)
    s.add("a1", "G"); s.add("a2", "a1"); s.add("a3", "a2")
    e = s.add("b1", "G", work=5)
    assert e["reorg"] == {"from": s.blocks["a3"]["hash"], "to": s.blocks["b1"]["hash"], "commonAncestor": s.genesis["hash"], "depth": 3}
    e = s.add("a4", "a3", work=2)  # back to the a-chain: 3 + 2 = 5 = b1's work, four in-turn blocks outweigh one
    assert e["head"] == s.blocks["a4"]["hash"] and e["reorg"]["depth"] == 1
    out.append(s.vector())

    s = Scenario("equal work: greater schedule weight wins", 10)
    s.add("a1", "G", work=2); s.add("b1", "G", work=1)
    e = s.add("b2", "b1", work=1)
    assert e["head"] == s.blocks["b2"]["hash"] and e["reorg"]["depth"] == 1
    e = s.add("c2", "b1", work=1)  # equal work and weight to b2: the lower beacon decides
    lower = "c2" if s.blocks["c2"]["beacon"] < s.blocks["b2"]["beacon"] else "b2"
    assert e["head"] == s.blocks[lower]["hash"]
    out.append(s.vector())

    s = Scenario("out-of-turn blocks lose to in-turn ones, even when more", 10)
    s.add("a1", "G", work=0); s.add("a2", "a1", work=0)  # in turn: weight 4
    s.add("b1", "G", work=0, rank=1); s.add("b2", "b1", work=0, rank=2)
    e = s.add("b3", "b2", work=0, rank=1)  # three out of turn: weight 3, height 3
    assert e["ok"] and e["head"] == s.blocks["a2"]["hash"]
    e = s.add("b4", "b3", work=0, rank=3)  # weight 4: equal, the lower beacon decides
    assert e["head"] == (s.blocks["b4"]["hash"] if s.blocks["b4"]["beacon"] < s.blocks["a2"]["beacon"] else s.blocks["a2"]["hash"])
    e = s.add("b5", "b4", work=0, rank=0)  # weight 6
    assert e["head"] == s.blocks["b5"]["hash"]
    assert s.add("bad-rank", "a2", work=0, rank=-1)["code"] == "BAD_RANK"
    out.append(s.vector())

    for order in ("xy", "yx"):
        s = Scenario("equal work and weight: lower beacon wins, whatever the order (" + order + ")", 10)
        s.block("x1", "G", hash_label="x1"); s.block("y1", "G", hash_label="y1")
        for label in order:
            s.add(label + "1")
        lower = "x1" if s.blocks["x1"]["beacon"] < s.blocks["y1"]["beacon"] else "y1"
        assert s.model.head["hash"] == s.blocks[lower]["hash"]
        out.append(s.vector())

    for order in ("pq", "qp"):
        # one producer's two blocks at one height share the beacon: nothing orders them, the head stays
        s = Scenario("equivocation: equal keys keep the first seen (" + order + ")", 10)
        s.block("p1", "G", beacon_label="same"); s.block("q1", "G", beacon_label="same")
        for label in order:
            s.add(label + "1")
        assert s.model.head["hash"] == s.blocks[order[0] + "1"]["hash"]
        out.append(s.vector())

    s = Scenario("finality refuses branches below it; reorg down to the finalized block allowed", 2)
    for i in range(1, 5):
        s.add("a%d" % i, "G" if i == 1 else "a%d" % (i - 1))
    assert s.model.finalized["hash"] == s.blocks["a2"]["hash"]
    assert s.add("c2", "a1", work=10)["code"] == "BELOW_FINALITY"
    assert s.add("c3", "c2", work=10)["code"] == "BELOW_FINALITY"  # descends from a refused block
    assert s.add("c4", "c3", work=10)["code"] == "BELOW_FINALITY"
    assert s.add("z1", "G", work=100)["code"] == "BELOW_FINALITY"
    e = s.add("d3", "a2", work=5)
    assert e["reorg"]["commonAncestor"] == s.blocks["a2"]["hash"] and e["reorg"]["depth"] == 2
    assert e["finalized"] == s.blocks["a2"]["hash"]
    e = s.add("d4", "d3")
    e = s.add("d5", "d4")
    assert e["finalized"] == s.blocks["d3"]["hash"]
    assert s.add("a5", "a4", work=50)["code"] == "BELOW_FINALITY"
    assert s.add("u9", "unknown-parent", height=9)["code"] == "BAD_PARENT"
    assert s.add("u2", "unknown-parent-2", height=2)["code"] == "BELOW_FINALITY"
    assert s.add("u3", "u2", height=3)["code"] == "BELOW_FINALITY"
    out.append(s.vector())

    s = Scenario("malformed headers and duplicates", 3)
    s.add("a1", "G", work=3); s.add("a2", "a1", work=3)
    assert s.add("bad-height", "a2", height=4)["code"] == "BAD_HEIGHT"
    assert s.add("bad-height-0", "a2", height=2)["code"] == "BAD_HEIGHT"
    assert s.add("bad-work", "a2", cw=5)["code"] == "BAD_WORK"
    assert s.add("child-of-bad", "bad-height", height=5)["code"] == "BAD_PARENT"
    e = s.add("a1")
    assert e["ok"] and e["reorg"] is None and e["head"] == s.blocks["a2"]["hash"]
    assert s.add("G")["ok"]
    s.add("a3", "a2", work=0)
    e = s.add("light", "a1", work=0)
    assert e["head"] == s.blocks["a3"]["hash"]
    out.append(s.vector())

    s = Scenario("checkpoints", 10, {2: "a2", 5: "a5"})
    s.add("a1", "G")
    assert s.add("b2", "a1", work=9)["code"] == "CHECKPOINT_CONFLICT"
    assert s.add("b3", "b2", work=9)["code"] == "CHECKPOINT_CONFLICT"
    e = s.add("a2", "a1")
    assert e["finalized"] == s.blocks["a2"]["hash"]
    assert s.add("c1", "G", work=20)["code"] == "BELOW_FINALITY"
    s.add("a3", "a2"); s.add("e3", "a2", work=2); s.add("e4", "e3", work=2)
    assert s.add("e5", "e4", work=2)["code"] == "CHECKPOINT_CONFLICT"
    s.add("a4", "a3")
    e = s.add("a5", "a4", work=10)
    assert e["finalized"] == s.blocks["a5"]["hash"] and e["reorg"] is not None
    out.append(s.vector())

    s = Scenario("depth 0: every head is final at once", 0)
    s.add("a1", "G"); s.add("a2", "a1")
    assert s.model.finalized["hash"] == s.blocks["a2"]["hash"]
    assert s.add("b2", "a1", work=10)["code"] == "BELOW_FINALITY"
    s.add("a3", "a2", work=0)
    assert s.model.finalized["hash"] == s.blocks["a3"]["hash"]
    out.append(s.vector())

    s = Scenario("see-saw between two branches", 4)
    s.add("a1", "G", work=2); s.add("b1", "G", work=1)
    s.add("b2", "b1", work=2)
    s.add("a2", "a1", work=2)
    s.add("b3", "b2", work=2)
    s.add("a3", "a2", work=2)
    s.add("a4", "a3", work=1)
    s.add("b4", "b3", work=3)
    s.add("b5", "b4", work=0)
    s.add("a5", "a4", work=0)
    out.append(s.vector())

    return out


def random_scenarios():
    rng = random.Random(41_2026)
    out = []
    for i in range(10):
        name = "random tree %d" % i
        depth = rng.choice([1, 2, 3, 1000])
        n = rng.randrange(8, 30)
        s = Scenario(name, depth)
        labels = ["G"]
        defs = []
        for j in range(1, n):
            parent = rng.choice(labels[max(0, len(labels) - 6):] if rng.random() < 0.7 else labels)
            work = rng.choice([0, 1, 1, 2, 3])
            label = "n%d" % j
            s.block(label, parent, work=work, rank=rng.choice([0, 0, 1, 2]))
            labels.append(label)
            defs.append(label)
        if i % 3 == 0:
            cp_label = rng.choice(defs)
            s.cp_labels = {s.blocks[cp_label]["height"]: cp_label}
        # a random topological order
        pending = list(defs)
        added = {"G"}
        order = []
        parent_of = {lbl: next(k for k, v in s.blocks.items() if v["hash"] == s.blocks[lbl]["parent"]) for lbl in defs}
        while pending:
            ready = [lbl for lbl in pending if parent_of[lbl] in added]
            pick = rng.choice(ready)
            pending.remove(pick)
            added.add(pick)
            order.append(pick)
        if rng.random() < 0.5:  # a few out-of-order arrivals and duplicates
            order.insert(rng.randrange(0, len(order)), rng.choice(defs))
        for lbl in order:
            s.add(lbl)
        out.append(s.vector())
    return out


def main():
    vectors = scenarios() + random_scenarios()
    codes = {st["expect"].get("code") for v in vectors for st in v["steps"]}
    assert {"BAD_PARENT", "BAD_HEIGHT", "BAD_WORK", "BAD_RANK", "BELOW_FINALITY", "CHECKPOINT_CONFLICT"} <= codes, codes
    write_fixture(
        "fork-choice",
        "Fork choice over headers: each vector adds headers in order and gives the expected head, finalized block, "
        "reorganization or rejection code after every add (core/fork-choice.ts ForkChoice.add).",
        "doin-reference-notes §2.10 (finality.py, depth 6), §2.11 (fork_choice.py) and §7.1 W-C6, with DOIN's rule: "
        "heaviest chain by cumulative verified work, then schedule weight (Clique, EIP-225: in turn 2, out of turn 1), "
        "then the lower beacon; constructed by test/vectors/gen/gen_fork_choice.py",
        "python3 test/vectors/gen/gen_fork_choice.py (standard library only). Hashes are sha256('fork-choice/' + "
        "scenario + '/' + label), beacons sha256('fork-choice/' + scenario + '/beacon/' + label). Rules: known hash -> ok, no change; unknown parent -> the parent's remembered "
        "rejection code if it was rejected with BELOW_FINALITY or CHECKPOINT_CONFLICT, else BELOW_FINALITY when "
        "height <= finalized height, else BAD_PARENT; rank < 0 -> BAD_RANK; height != parent + 1 -> BAD_HEIGHT; cumulativeWork < parent's -> "
        "BAD_WORK; finalized block not among the parent's ancestors -> BELOW_FINALITY; checkpoint at this height with "
        "another hash -> CHECKPOINT_CONFLICT (the last two remembered). The new block becomes the head iff its key "
        "(cumulativeWork, schedule weight = sum over its chain after genesis of 2 for rank 0 else 1, lower beacon) is "
        "strictly greater than the head's (equal keys keep the head). When the head changes: reorg iff the old head is not an ancestor of the "
        "new one (commonAncestor = first block of the new chain on the old chain, depth = old height - its height); "
        "finalized moves to the head's ancestor at max(head height - depth, 0, highest checkpoint <= head height) if "
        "higher. A failed step lists head and finalized unchanged.",
        vectors,
    )


if __name__ == "__main__":
    main()
