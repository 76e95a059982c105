#!/usr/bin/env python3
"""Writes test/vectors/blocks.json: whole-block vectors. For each case, the chain
parameters (a devnet preset, its overrides and the genesis validators' seed phrases),
the genesis hash and state root, then a chain of blocks in wire form, each with the
state root after it, its hash and its receipts, and blocks the transition must refuse
(with the error code).

    python3 test/vectors/gen/gen_blocks.py

Standard library only, and independent of the TypeScript under test: the transition
is restated here from docs/PROTOCOL.md, on the other generators' independent pieces
(RFC 8032 signatures: rfc8032.py; ECVRF: gen_vrf.py; the tx Merkle root: gen_merkle.py;
the state tree, by its recursive definition: gen_state_tree.py). Every state is kept
in wire form (bigints as decimal strings) and its root recomputed from all its leaves.

What a block does here (the rules covered; anything else is refused by assert):
  - header: height, parent, timestamp, producer key, txRoot, coinbaseRoot, stateRoot,
    work, cumulativeWork, threshold, rank, VRF proof on H("vrf-input", {network,
    height, beacon}) and the beacon after it; the producer's rank in the schedule
    (validators ranked by H("producer-rank", {beacon, height, producer}));
  - start of block: the parent's beacon recorded (and the one revealWindowBlocks + 1
    back dropped), the checkpoint at an anchorInterval height, commits not revealed
    within revealWindowBlocks expired and their bonds burned;
  - transactions: transfer (to a new account, to oneself), commit (bond locked),
    anchor (of a checkpoint); nonces, balances, fees; refusals BAD_NONCE,
    INSUFFICIENT_BALANCE, DUPLICATE_COMMIT, UNKNOWN_DOMAIN, TOO_MANY_OPEN_ROUNDS, BAD_ANCHOR;
  - end of block: carrier blocks only (no verified work: nothing minted, difficulty
    unchanged), the fees paid to the producer in the coinbase, the carrier delay and
    the producer's slot (BELOW_THRESHOLD, OUT_OF_TURN), the schedule weight.
"""
import copy
import hashlib
import json

import rfc8032 as ed
from gen_merkle import merkle_root
from gen_state_tree import root as tree_root
from gen_vrf import prove as vrf_prove, proof_to_hash, seed_key
from vector_io import hash_of, tagged_hash, write_fixture

COIN = 10**8
ONE = 10**6
ZERO_HASH = "0" * 64
GENESIS_TIME = 1_793_491_200_000  # Date.UTC(2026, 10, 1), the devnet preset's genesis


# --- parameters (core/params.ts devnetParams, restated) --------------------------


QUADRATIC = {
    "id": "quadratic",
    "higherIsBetter": True,
    "epsilon": "10000",
    "bond": str(COIN),
    "weight": str(ONE),
    "toleranceAbs": str(2 * ONE),
    "toleranceRelPpm": 50_000,
    "quorumFractionPpm": 666_666,
    "initialChampion": str(-1000 * ONE),
    "maxParamsBytes": 4096,
    "incentive": {"toleranceMarginPpm": 100_000, "bonusThresholdPpm": 50_000, "minRewardFractionPpm": 300_000, "maxBonusPpm": 1_200_000},
}


def devnet_params(network, validators, overrides):
    """The devnet preset in wire form (bigints as decimal strings), with overrides and
    the genesis accounts paramsFor gives the validators (1000 DOIN, reputation 5)."""
    p = {
        "network": network,
        "genesisTimestamp": GENESIS_TIME,
        "targetBlockTimeMs": 10_000,
        "carrierIntervalMs": 2_000,
        "maxFutureDriftMs": 15_000,
        "epochLength": 100,
        "maxEpochAdjustment": 4,
        "emaAlphaPpm": 100_000,
        "perBlockLimitPpm": 20_000,
        "initialThreshold": str(ONE),
        "minThreshold": "1",
        "maxThreshold": str(10**9 * ONE),
        "initialReward": str(50 * COIN),
        "halvingInterval": 210_000,
        "maxSupply": str(21_000_000 * COIN),
        "producerSharePpm": 50_000,
        "optimizerSharePpm": 650_000,
        "evaluatorSharePpm": 300_000,
        "reputation": {
            "acceptReward": str(ONE),
            "rejectPenalty": str(3 * ONE),
            "evaluationAgreeReward": "400000",
            "evaluationDivergePenalty": str(2 * ONE),
            "missedVotePenalty": str(2 * ONE),
            "halfLifeMs": 7 * 24 * 3_600_000,
            "minForEvaluator": str(2 * ONE),
        },
        "quorum": {"minSize": 10, "maxSize": 15},
        "finalityDepth": 6,
        "anchorInterval": 100,
        "maxTxsPerBlock": 200,
        "maxTxBytes": 8192,
        "seedDelayBlocks": 4,
        "producerSlotMs": 500,
        "maxOpenRoundsPerAccount": 4,
        "maxBlockTxBytes": 1_048_576,
        "revealWindowBlocks": 30,
        "voteWindowBlocks": 20,
        "domains": [QUADRATIC],
        "genesisAccounts": [],
    }
    for k, v in overrides.items():
        assert k in p, k
        p[k] = v
    p["genesisAccounts"] = [{"address": Key(v).address, "balance": str(1000 * COIN), "reputation": str(5 * ONE)} for v in validators]
    return p


# --- keys --------------------------------------------------------------------------


class Key:
    def __init__(self, phrase):
        self.phrase = phrase
        self.secret = seed_key(phrase)
        self.public = ed.secret_to_public(self.secret).hex()
        self.address = tagged_hash("address", bytes.fromhex(self.public))[:20].hex()

    def sign(self, hex_message):
        return ed.sign(self.secret, bytes.fromhex(hex_message)).hex()


def address_of(public):
    return tagged_hash("address", bytes.fromhex(public))[:20].hex()


# --- the state, in wire form ---------------------------------------------------------


class Refused(Exception):
    def __init__(self, code, message=""):
        super().__init__("%s: %s" % (code, message))
        self.code = code


def empty_account():
    return {"balance": "0", "nonce": 0, "reputation": "0", "reputationTime": 0, "lastActiveTime": -1}


def params_digest(params):
    return hash_of("genesis", params)


def genesis(params):
    """The genesis state and block (core/genesis.ts)."""
    t = params["genesisTimestamp"]
    accounts = {}
    supply = 0
    for g in params["genesisAccounts"]:
        accounts[g["address"]] = {"balance": g["balance"], "nonce": 0, "reputation": g["reputation"], "reputationTime": t, "lastActiveTime": t}
        supply += int(g["balance"])
    s = {
        "network": params["network"],
        "height": 0,
        "tipTimestamp": t,
        "cumulativeWork": "0",
        "weight": 0,
        "supply": str(supply),
        "burned": "0",
        "beacon": hash_of("beacon", {"genesis": params_digest(params)}),
        "mintedBlocks": 0,
        "difficulty": {"threshold": params["initialThreshold"], "emaBlockTimeMs": str(params["targetBlockTimeMs"]),
                       "lastWorkTimestamp": t, "epochStartTimestamp": t, "blocksInEpoch": 0},
        "pendingWork": "0",
        "accounts": accounts,
        "champion": {d["id"]: {"performance": d["initialChampion"], "optimae": None, "optimizer": None, "params": None, "height": 0}
                     for d in params["domains"]},
        "commit": {}, "round": {}, "revealed": {}, "pending-optimizer": {}, "pending-evaluator": {},
        "anchor": {}, "checkpoint": {}, "recent-beacon": {},
    }
    header = {
        "network": params["network"], "height": 0, "parent": params_digest(params), "timestamp": t,
        "producer": "0" * 64, "txRoot": merkle_root([]), "coinbaseRoot": hash_of("coinbase", []),
        "stateRoot": state_root(s), "work": "0", "cumulativeWork": "0", "threshold": s["difficulty"]["threshold"],
        "rank": 0, "vrf": "0" * 160, "beacon": s["beacon"],
    }
    s["tipHash"] = hash_of("block", header)
    return s, header


META = ["network", "height", "tipTimestamp", "cumulativeWork", "weight", "supply", "burned", "beacon", "mintedBlocks", "difficulty", "pendingWork"]
MAPS = ["champion", "commit", "round", "revealed", "pending-optimizer", "pending-evaluator", "anchor", "checkpoint", "recent-beacon"]


def state_leaves(s):
    """Every item of the state as (space, id, value): core/state-root.ts stateEntries."""
    yield "meta", "chain", {k: s[k] for k in META}
    for a, v in s["accounts"].items():
        yield "account", a, v
    for space in MAPS:
        for i, v in s[space].items():
            yield space, i, v


def state_root(s):
    """The root of the sparse Merkle tree over every leaf, from scratch (gen_state_tree.py)."""
    return tree_root([(hash_of("state-key", [space, i]), hash_of("state-value", v)) for space, i, v in state_leaves(s)])


def copy_state(s):
    return copy.deepcopy(s)


# --- schedule and beacon ----------------------------------------------------------


def validators(params, accounts, time_ms):
    """core/schedule.ts validatorSet. The vectors' validators keep their genesis
    reputation (5.0) within a few minutes of genesis: decay cannot take it below the
    2.0 minimum, which is asserted, so no decay is computed here."""
    minimum = int(params["reputation"]["minForEvaluator"])
    out = []
    for a, acct in accounts.items():
        r = int(acct["reputation"])
        if r < minimum:
            continue
        # a half-life is a week; these chains last minutes: 5.0 decays to > 4.99
        assert time_ms - acct["reputationTime"] < 24 * 3_600_000 and r >= 2 * minimum
        out.append(a)
    if len(out) >= params["quorum"]["minSize"]:
        return out
    for g in params["genesisAccounts"]:
        if int(g["reputation"]) > 0 and g["address"] not in out:
            out.append(g["address"])
    return out


def schedule(s, params):
    height = s["height"] + 1
    keyed = [(hash_of("producer-rank", {"beacon": s["beacon"], "height": height, "producer": a}), a)
             for a in validators(params, s["accounts"], s["tipTimestamp"])]
    return [a for _, a in sorted(keyed)]


def beacon_input(network, height, parent_beacon):
    return tagged_hash("vrf-input", json.dumps({"beacon": parent_beacon, "height": height, "network": network},
                                               sort_keys=True, separators=(",", ":")).encode("utf-8"))


# --- transactions -----------------------------------------------------------------


def make_tx(key, network, kind, nonce, fee, body):
    unsigned = {"network": network, "kind": kind, "from": key.public, "nonce": nonce, "fee": str(fee), "body": body}
    tx_id = hash_of("tx", unsigned)
    return dict(unsigned, id=tx_id, sig=key.sign(tx_id))


def domain_of(params, domain_id):
    for d in params["domains"]:
        if d["id"] == domain_id:
            return d
    return None


def tx_spend(tx, params):
    fee = int(tx["fee"])
    if tx["kind"] == "transfer":
        return fee + int(tx["body"]["amount"])
    if tx["kind"] == "commit":
        d = domain_of(params, tx["body"]["domain"])
        return fee + (int(d["bond"]) if d else 0)
    return fee


class Working:
    """A block being applied: the parent's state copied, then changed in place."""

    def __init__(self, parent, params, height, timestamp):
        self.s = copy_state(parent)
        self.params = params
        self.height = height
        self.timestamp = timestamp
        self.fees = 0
        self.receipts = {"accepts": [], "verdicts": [], "reputation": []}

    def account(self, a):
        return dict(self.s["accounts"].get(a) or empty_account())


def begin_block(parent, params, height, timestamp):
    w = Working(parent, params, height, timestamp)
    s = w.s
    s["recent-beacon"][parent["height"]] = parent["beacon"]
    s["recent-beacon"].pop(parent["height"] - params["revealWindowBlocks"] - 1, None)
    if parent["height"] % params["anchorInterval"] == 0 and parent["height"] > 0:
        s["checkpoint"][parent["height"]] = parent["tipHash"]
    for cid in list(s["commit"]):
        c = s["commit"][cid]
        if height > c["height"] + params["revealWindowBlocks"]:
            del s["commit"][cid]
            s["burned"] = str(int(s["burned"]) + int(c["bond"]))
    assert not s["round"], "rounds are not covered by these vectors"
    return w


def apply_tx(w, tx):
    params, s = w.params, w.s
    assert tx["network"] == params["network"]
    sender = address_of(tx["from"])
    acct = w.account(sender)
    if tx["nonce"] != acct["nonce"] + 1:
        raise Refused("BAD_NONCE", "nonce %d, expected %d" % (tx["nonce"], acct["nonce"] + 1))
    spend = tx_spend(tx, params)
    if int(acct["balance"]) < spend:
        raise Refused("INSUFFICIENT_BALANCE")
    kind, body = tx["kind"], tx["body"]
    if kind == "transfer":
        def effect():
            to = w.account(body["to"])
            to["balance"] = str(int(to["balance"]) + int(body["amount"]))
            s["accounts"][body["to"]] = to
    elif kind == "commit":
        d = domain_of(params, body["domain"])
        if d is None:
            raise Refused("UNKNOWN_DOMAIN")
        if any(c["commitment"] == body["commitment"] for c in s["commit"].values()):
            raise Refused("DUPLICATE_COMMIT")
        open_ = sum(1 for c in s["commit"].values() if c["optimizer"] == sender)
        open_ += sum(1 for r in s["round"].values() if r["optimizer"] == sender and r["status"] == "voting")
        if open_ >= params["maxOpenRoundsPerAccount"]:
            raise Refused("TOO_MANY_OPEN_ROUNDS")

        def effect():
            s["commit"][tx["id"]] = {"id": tx["id"], "domain": body["domain"], "optimizer": sender,
                                     "commitment": body["commitment"], "height": w.height, "bond": d["bond"]}
    elif kind == "anchor":
        h = body["height"]
        if h % params["anchorInterval"] != 0:
            raise Refused("BAD_ANCHOR", "not an anchor height")
        known = s["checkpoint"].get(h)
        if known is None:
            raise Refused("BAD_ANCHOR", "no checkpoint yet")
        if known != body["blockHash"]:
            raise Refused("BAD_ANCHOR", "another block")

        def effect():
            s["anchor"][h] = body["blockHash"]
    else:
        raise AssertionError("tx kind %s is not covered by these vectors" % kind)
    # fee and nonce first; the effect reads the sender's account after (a transfer to oneself)
    acct["balance"] = str(int(acct["balance"]) - spend)
    acct["nonce"] = tx["nonce"]
    s["accounts"][sender] = acct
    w.fees += int(tx["fee"])
    effect()


def coinbase_of(total, producer):
    """core/issuance.ts splitReward with no optimizers or evaluators: everything to the producer, none if 0."""
    return [{"to": producer, "amount": str(total), "role": "producer"}] if total > 0 else []


def produce(parent, params, key, timestamp, txs):
    """The block `key` produces on `parent` at `timestamp` with `txs` (in order, all of which
    must apply), and the state after it. Raises Refused where the transition refuses it."""
    height = parent["height"] + 1
    producer = key.address
    order = schedule(parent, params)
    if producer not in order:
        raise Refused("NOT_A_PRODUCER")
    rank = order.index(producer)
    vrf = vrf_prove(key.secret, beacon_input(params["network"], height, parent["beacon"]))
    output = proof_to_hash(ed.point_decompress(vrf[:32])).hex()
    beacon = hash_of("beacon", {"parent": parent["beacon"], "output": output})
    assert timestamp > parent["tipTimestamp"]
    w = begin_block(parent, params, height, timestamp)
    for tx in txs:
        apply_tx(w, tx)
    s = w.s
    # carrier blocks only: no accepted optimae, so no verified work
    assert int(s["pendingWork"]) == 0
    if timestamp < parent["tipTimestamp"] + params["carrierIntervalMs"]:
        raise Refused("BELOW_THRESHOLD")
    if timestamp < parent["tipTimestamp"] + params["carrierIntervalMs"] + rank * params["producerSlotMs"]:
        raise Refused("OUT_OF_TURN")
    coinbase = coinbase_of(w.fees, producer)
    for out in coinbase:
        a = w.account(out["to"])
        a["balance"] = str(int(a["balance"]) + int(out["amount"]))
        s["accounts"][out["to"]] = a
    s["height"] = height
    s["tipTimestamp"] = timestamp
    s["weight"] = parent["weight"] + (2 if rank == 0 else 1)
    s["beacon"] = beacon
    root = state_root(s)
    header = {
        "network": params["network"], "height": height, "parent": parent["tipHash"], "timestamp": timestamp,
        "producer": key.public, "txRoot": merkle_root([t["id"] for t in txs]), "coinbaseRoot": hash_of("coinbase", coinbase),
        "stateRoot": root, "work": "0", "cumulativeWork": s["cumulativeWork"], "threshold": parent["difficulty"]["threshold"],
        "rank": rank, "vrf": vrf.hex(), "beacon": beacon,
    }
    block_hash = hash_of("block", header)
    s["tipHash"] = block_hash
    block = {"header": header, "txs": txs, "coinbase": coinbase, "hash": block_hash, "sig": key.sign(block_hash)}
    return block, s, w.receipts


def check_supply(s):
    """Σ balances + bonds held + burned = supply (no rounds here, so bonds are open commits)."""
    total = sum(int(a["balance"]) for a in s["accounts"].values())
    total += sum(int(c["bond"]) for c in s["commit"].values())
    assert total + int(s["burned"]) == int(s["supply"]), "supply not conserved"


# --- the cases ----------------------------------------------------------------------


class Chain:
    def __init__(self, name, network, validator_phrases, overrides):
        self.name = name
        self.validators = [Key(p) for p in validator_phrases]
        self.params = devnet_params(network, validator_phrases, overrides)
        self.state, self.genesis_header = genesis(self.params)
        self.nonces = {}
        self.blocks = []
        self.refused = []
        self.keys = {k.address: k for k in self.validators}

    def key(self, phrase):
        k = Key(phrase)
        self.keys[k.address] = k
        return k

    def tx(self, key, kind, body, fee=0, nonce=None):
        if nonce is None:
            nonce = self.nonces.get(key.address, 0) + 1
            self.nonces[key.address] = nonce
        return make_tx(key, self.params["network"], kind, nonce, fee, body)

    def first(self, rank=0):
        return self.keys[schedule(self.state, self.params)[rank]]

    def next_time(self, rank=0, extra=0):
        return self.state["tipTimestamp"] + self.params["carrierIntervalMs"] + rank * self.params["producerSlotMs"] + extra

    def block(self, note, txs=(), rank=0, extra=0):
        key = self.first(rank)
        block, s, receipts = produce(self.state, self.params, key, self.next_time(rank, extra), list(txs))
        check_supply(s)
        self.blocks.append({"note": note, "block": block, "hash": block["hash"], "stateRoot": block["header"]["stateRoot"], "receipts": receipts})
        self.state = s
        return block

    def refuse(self, note, code, txs=(), rank=0, timestamp=None, producer=None):
        """A block the transition must refuse with `code`, on the current tip (the chain does not move).
        Its header is what a producer would write if the rule were not there: the refusal comes first."""
        key = producer or self.first(rank)
        t = timestamp if timestamp is not None else self.next_time(rank)
        try:
            produce(self.state, self.params, key, t, list(txs))
        except Refused as e:
            assert e.code == code, (e.code, code)
        else:
            raise AssertionError("%s: not refused" % note)
        block = forge(self.state, self.params, key, t, list(txs), self.schedule_rank(key))
        self.refused.append({"note": note, "after": len(self.blocks), "block": block, "error": code})

    def schedule_rank(self, key):
        order = schedule(self.state, self.params)
        return order.index(key.address) if key.address in order else 0

    def case(self):
        return {
            "name": self.name,
            "network": self.params["network"],
            "validators": [k.phrase for k in self.validators],
            "overrides": {k: v for k, v in self.overrides.items()},
            "params": self.params,
            "genesis": {"hash": self.genesis_hash, "stateRoot": self.genesis_header["stateRoot"]},
            "blocks": self.blocks,
            "refused": self.refused,
        }


def forge(parent, params, key, timestamp, txs, rank):
    """A signed block with a well-formed header (the right VRF, beacon, roots of what it
    carries; the state root of the parent, since there is no post-state) for a refusal."""
    height = parent["height"] + 1
    vrf = vrf_prove(key.secret, beacon_input(params["network"], height, parent["beacon"]))
    output = proof_to_hash(ed.point_decompress(vrf[:32])).hex()
    beacon = hash_of("beacon", {"parent": parent["beacon"], "output": output})
    fees = sum(int(t["fee"]) for t in txs)
    coinbase = coinbase_of(fees, key.address)
    header = {
        "network": params["network"], "height": height, "parent": parent["tipHash"], "timestamp": timestamp,
        "producer": key.public, "txRoot": merkle_root([t["id"] for t in txs]), "coinbaseRoot": hash_of("coinbase", coinbase),
        "stateRoot": state_root(parent), "work": "0", "cumulativeWork": parent["cumulativeWork"], "threshold": parent["difficulty"]["threshold"],
        "rank": rank, "vrf": vrf.hex(), "beacon": beacon,
    }
    block_hash = hash_of("block", header)
    return {"header": header, "txs": txs, "coinbase": coinbase, "hash": block_hash, "sig": key.sign(block_hash)}


def new_chain(name, network, phrases, overrides):
    c = Chain(name, network, phrases, overrides)
    c.overrides = overrides
    c.genesis_hash = c.state["tipHash"]
    return c


def transfers_case():
    c = new_chain("transfers", "doin-vectors", ["vectors/alice", "vectors/bob", "vectors/carol"], {})
    alice, bob, carol = c.validators
    dave = c.key("vectors/dave")
    c.block("an empty carrier block: no coinbase, the beacon and the schedule weight move")
    c.block("a transfer to a new account, with a fee paid to the producer",
            [c.tx(alice, "transfer", {"to": dave.address, "amount": str(5 * COIN)}, fee=1000)])
    c.block("several transfers, two from one sender (consecutive nonces), one to oneself, the new account spending",
            [c.tx(bob, "transfer", {"to": alice.address, "amount": "123456789"}, fee=7),
             c.tx(bob, "transfer", {"to": carol.address, "amount": "1"}, fee=0),
             c.tx(carol, "transfer", {"to": carol.address, "amount": str(COIN)}, fee=250),
             c.tx(dave, "transfer", {"to": bob.address, "amount": str(COIN)}, fee=COIN)])
    c.block("the producer second in turn, one slot late (rank 1, weight 1)",
            [c.tx(alice, "transfer", {"to": bob.address, "amount": "42"}, fee=3)], rank=1)
    c.block("a later block, not on the earliest millisecond", extra=12_345)
    # refusals on the tip
    c.refuse("a nonce that skips one", "BAD_NONCE", [c.tx(alice, "transfer", {"to": bob.address, "amount": "1"}, nonce=c.nonces[alice.address] + 2)])
    c.refuse("a nonce already used", "BAD_NONCE", [c.tx(alice, "transfer", {"to": bob.address, "amount": "1"}, nonce=c.nonces[alice.address])])
    dave_balance = int(c.state["accounts"][dave.address]["balance"])
    c.refuse("spending the whole balance and the fee on top", "INSUFFICIENT_BALANCE",
             [make_tx(dave, c.params["network"], "transfer", c.nonces[dave.address] + 1, 1, {"to": alice.address, "amount": str(dave_balance)})])
    c.refuse("a carrier block before the carrier interval", "BELOW_THRESHOLD",
             timestamp=c.state["tipTimestamp"] + c.params["carrierIntervalMs"] - 1)
    c.refuse("the second in turn before its slot", "OUT_OF_TURN", rank=1, timestamp=c.next_time(1) - 1)
    c.block("after the refusals, the tip moves on", [c.tx(dave, "transfer", {"to": alice.address, "amount": str(dave_balance - 1)}, fee=1)])
    return c.case()


def commits_case():
    """Commits lock a bond; unrevealed ones expire after revealWindowBlocks and the bond
    is burned; anchors record checkpoints (short windows so the chain stays small)."""
    c = new_chain("commits, expiry and anchors", "doin-vectors-commits", ["vectors/erin", "vectors/frank"],
                  {"anchorInterval": 2, "revealWindowBlocks": 3, "voteWindowBlocks": 2, "maxOpenRoundsPerAccount": 2})
    erin, frank = c.validators
    com = lambda label: hashlib.sha256(("commitment/" + label).encode()).hexdigest()
    c.block("a commit: its bond (1 DOIN) leaves the balance, held in the commit",
            [c.tx(erin, "commit", {"domain": "quadratic", "commitment": com("e1")}, fee=10)])
    c.block("a second commit of the same account, and one of another account",
            [c.tx(erin, "commit", {"domain": "quadratic", "commitment": com("e2")}),
             c.tx(frank, "commit", {"domain": "quadratic", "commitment": com("f1")}, fee=5)])
    c.refuse("a third open commit of one account", "TOO_MANY_OPEN_ROUNDS", [c.tx(erin, "commit", {"domain": "quadratic", "commitment": com("e3")}, nonce=c.nonces[erin.address] + 1)])
    c.refuse("a commitment already on chain", "DUPLICATE_COMMIT", [c.tx(frank, "commit", {"domain": "quadratic", "commitment": com("e1")}, nonce=c.nonces[frank.address] + 1)])
    c.refuse("an unknown domain", "UNKNOWN_DOMAIN", [c.tx(frank, "commit", {"domain": "nowhere", "commitment": com("f9")}, nonce=c.nonces[frank.address] + 1)])
    c.refuse("an anchor of a height with no checkpoint yet (4: block 3 takes the checkpoint of 2)", "BAD_ANCHOR",
             [c.tx(frank, "anchor", {"height": 4, "blockHash": c.state["tipHash"], "ledger": "test", "ref": "x"}, nonce=c.nonces[frank.address] + 1)])
    c.block("the checkpoint of height 2 is taken at the start of block 3")
    h2 = c.blocks[1]["hash"]
    c.refuse("an anchor of another block than the checkpoint's", "BAD_ANCHOR",
             [c.tx(frank, "anchor", {"height": 2, "blockHash": c.blocks[0]["hash"], "ledger": "test", "ref": "x"}, nonce=c.nonces[frank.address] + 1)])
    c.refuse("an anchor of a height that is not an anchor height", "BAD_ANCHOR",
             [c.tx(frank, "anchor", {"height": 3, "blockHash": c.blocks[2]["hash"], "ledger": "test", "ref": "x"}, nonce=c.nonces[frank.address] + 1)])
    c.block("an anchor of the checkpoint at height 2", [c.tx(frank, "anchor", {"height": 2, "blockHash": h2, "ledger": "bitcoin", "ref": "txid:00ff"}, fee=2)])
    c.block("block 5: erin's first commit (height 1) expires, its bond burned; checkpoint 4 taken")
    c.block("block 6: the two commits of height 2 expire, both bonds burned; a new commit after them",
            [c.tx(erin, "commit", {"domain": "quadratic", "commitment": com("e1")}, fee=1)])
    c.block("beacons older than the reveal window are dropped; anchor 4",
            [c.tx(erin, "anchor", {"height": 4, "blockHash": c.blocks[3]["hash"], "ledger": "bitcoin", "ref": "second"})])
    c.block("block 8", rank=1)
    c.block("block 9")
    c.block("block 10: the commit of height 6 expires, its bond burned")
    return c.case()


def main():
    cases = [transfers_case(), commits_case()]
    write_fixture(
        "blocks",
        "Whole-block vectors: chain parameters, genesis, then blocks in wire form, each with the state root "
        "after it, its hash and its receipts; and blocks on a tip that the transition must refuse, with the error code.",
        "constructed by test/vectors/gen/gen_blocks.py",
        "python3 test/vectors/gen/gen_blocks.py (standard library only): the block transition restated from "
        "docs/PROTOCOL.md on the independent pieces of the other generators (rfc8032.py signatures, gen_vrf.py "
        "ECVRF, gen_merkle.py tx root, gen_state_tree.py state tree from every leaf). Covered: transfers, "
        "commits (bond locked), expiry of unrevealed commits (bond burned), checkpoints and anchors, fees, nonces, "
        "balances, carrier blocks (fees to the producer), the producer schedule and slots, VRF and beacon. "
        "Not covered: reveals, votes, accepts, rounds and their verdicts, work blocks (minting, difficulty), "
        "reputation changes and decay.",
        cases,
    )


if __name__ == "__main__":
    main()
