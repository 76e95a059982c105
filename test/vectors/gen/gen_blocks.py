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

Two paths, which must agree: `produce` makes a block as a producer would (and checks that
`validate` accepts it, to the same state); `validate` checks a received block in the order a
node does (stateless checks, signatures, header against the parent, transactions, end of
block) and gives the error code of the first rule it breaks. Refused blocks are made by
breaking one rule (a header field, a signature, a transaction a state does not admit).

Covered: every header field and check; the producer schedule from decayed reputation (with
the genesis fallback, and without it), the VRF and the beacon; every transaction kind
(transfer, commit, reveal, vote, accept, anchor) with its admission rules; the start of
block (beacons, checkpoints, expired commits, rounds decided at their deadline or expired
and forgotten later); verdicts (accepted, rejected, expired; at the last vote or at the
deadline), bonds paid back, split or burned; accepts (champion, reward fraction, reputation
factor, increment; superseded); carrier and work blocks (coinbase split, difficulty per
block and per epoch, halving, supply cap); reputation events each decayed first; receipts.
Not covered: see docs/PROTOCOL.md §5 "Whole-block vectors".
"""
import copy
import hashlib
import json
import math
from decimal import Decimal
from fractions import Fraction

import rfc8032 as ed
from consensus_math import decayed as decay, factor2, rep_factor, reward_fraction
from gen_merkle import merkle_root
from gen_quorum import aggregate, quorum_seed, quorum_size, select as select_quorum
from gen_state_tree import root as tree_root
from gen_vrf import proof_to_hash, prove as vrf_prove, seed_key, verify as vrf_verify
from numeric_io import dec_floor
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


def devnet_params(network, validators, overrides, domains=()):
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
        "domains": [QUADRATIC] + list(domains),
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
    """core/schedule.ts validatorSet: accounts whose reputation decayed to time_ms reaches
    minForEvaluator, joined by the genesis validators while they are fewer than
    quorum.minSize (order does not matter: every use ranks them)."""
    minimum = int(params["reputation"]["minForEvaluator"])
    out = [a for a, acct in accounts.items() if int(acct["reputation"]) >= minimum and decayed(acct, time_ms, params) >= minimum]
    if len(out) >= params["quorum"]["minSize"]:
        return out
    for g in params["genesisAccounts"]:
        if int(g["reputation"]) > 0 and g["address"] not in out:
            out.append(g["address"])
    return out


# --- reputation, incentive, coinbase (restated as gen_reputation, gen_incentive, gen_issuance do) ---

def decayed(acct, time_ms, params):
    return decay(int(acct["reputation"]), acct["reputationTime"], time_ms, params["reputation"]["halfLifeMs"])


def mul_fixed(a, b):
    return a * b // ONE


def split_reward(total, producer, optimizers, evaluators, params):
    """Pools floor(total * share / 10^6), each paid floor(pool * w / W) by ascending address;
    the producer gets the rest; zero amounts left out."""
    outs, paid = [], 0
    for entries, ppm, role in ((optimizers, params["optimizerSharePpm"], "optimizer"), (evaluators, params["evaluatorSharePpm"], "evaluator")):
        pos = sorted((a, int(w)) for a, w in entries.items() if int(w) > 0)
        weight = sum(w for _, w in pos)
        if weight == 0:
            continue
        pool = total * ppm // ONE
        for a, w in pos:
            amount = pool * w // weight
            paid += amount
            outs.append({"to": a, "amount": amount, "role": role})
    result = [o for o in [{"to": producer, "amount": total - paid, "role": "producer"}] + outs if o["amount"] > 0]
    assert sum(o["amount"] for o in result) == total
    return [dict(o, amount=str(o["amount"])) for o in result]


def era_reward(era, params):
    return 0 if era >= 64 else int(params["initialReward"]) >> era


def supply_after(n, params):
    """Coin issued by the first n work blocks, capped at maxSupply (closed form over the eras)."""
    total, era, interval = 0, 0, params["halvingInterval"]
    while era < 64 and era * interval < n:
        total += min(n - era * interval, interval) * era_reward(era, params)
        era += 1
    return min(total, int(params["maxSupply"]))


def block_reward(minted, params):
    """initialReward >> floor(minted / halvingInterval), never more than is left below maxSupply."""
    reward = era_reward(minted // params["halvingInterval"], params)
    left = int(params["maxSupply"]) - supply_after(minted, params)
    return reward if reward < left else max(left, 0)


def next_difficulty(d, ts, params):
    clamp = lambda x, lo, hi: max(lo, min(hi, x))
    target, alpha, lim = params["targetBlockTimeMs"], params["emaAlphaPpm"], params["perBlockLimitPpm"]
    lo, hi = int(params["minThreshold"]), int(params["maxThreshold"])
    elapsed = max(1, ts - d["lastWorkTimestamp"])
    ema = max(1, (alpha * elapsed + (ONE - alpha) * int(d["emaBlockTimeMs"])) // ONE)
    corr = clamp(target * ONE // ema - ONE, -lim, lim)
    threshold = clamp(int(d["threshold"]) * (ONE + corr) // ONE, lo, hi)
    n = d["blocksInEpoch"] + 1
    start = d["epochStartTimestamp"]
    if n >= params["epochLength"]:
        duration = max(1, ts - start)
        adj = params["maxEpochAdjustment"]
        ratio = clamp(params["epochLength"] * target * ONE // duration, ONE // adj, ONE * adj)
        threshold = clamp(threshold * ratio // ONE, lo, hi)
        start, n = ts, 0
    return {"threshold": str(threshold), "emaBlockTimeMs": str(ema), "lastWorkTimestamp": ts, "epochStartTimestamp": start, "blocksInEpoch": n}


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
        self.block_work = 0
        self.tx_index = None
        self.receipts = {"accepts": [], "verdicts": [], "reputation": []}

    def account(self, a):
        return dict(self.s["accounts"].get(a) or empty_account())

    def put(self, a, acct):
        self.s["accounts"][a] = acct

    def credit(self, a, amount):
        acct = self.account(a)
        acct["balance"] = str(int(acct["balance"]) + amount)
        self.put(a, acct)

    def move_reputation(self, a, event):
        """Decay to the block's time, add the event's delta, floor at 0 (core/reputation.ts adjustReputation)."""
        r = self.params["reputation"]
        delta = {"optimaeAccepted": int(r["acceptReward"]), "optimaeRejected": -int(r["rejectPenalty"]),
                 "evaluationAgreed": int(r["evaluationAgreeReward"]), "evaluationDiverged": -int(r["evaluationDivergePenalty"]),
                 "evaluationMissed": -int(r["missedVotePenalty"])}[event]
        self.receipts["reputation"].append({"address": a, "event": event, "delta": str(delta), "txIndex": self.tx_index})
        acct = self.account(a)
        acct["reputation"] = str(max(0, decayed(acct, self.timestamp, self.params) + delta))
        acct["reputationTime"] = max(self.timestamp, acct["reputationTime"])
        self.put(a, acct)
        return acct

    def burn(self, amount):
        self.s["burned"] = str(int(self.s["burned"]) + amount)


def required_votes(k, domain):
    return (k * domain["quorumFractionPpm"] + 999_999) // ONE


def pay_bond(w, bond, recipients):
    """Equal shares, the remainder to the first by address; nobody to pay: burned."""
    if bond == 0:
        return
    to = sorted(set(recipients))
    if not to:
        w.burn(bond)
        return
    share = bond // len(to)
    for i, a in enumerate(to):
        w.credit(a, share + (bond - share * len(to) if i == 0 else 0))


def decide_round(w, r):
    """A round decided: missed votes, then expired (too few votes) or the verdict of the votes."""
    domain = domain_of(w.params, r["domain"])
    required = required_votes(len(r["quorum"]), domain)
    voted = {v["evaluator"] for v in r["votes"]}
    for e in r["quorum"]:
        if e not in voted:
            w.move_reputation(e, "evaluationMissed")
    bond = int(r["bond"])
    if not r["votes"] or len(r["votes"]) < required:
        r["status"] = "expired"
        w.receipts["verdicts"].append({"optimae": r["optimae"], "status": "expired", "verified": None, "txIndex": w.tx_index})
        seat = 0 if not r["quorum"] else bond // len(r["quorum"])
        for v in r["votes"]:
            pay_bond(w, seat, [v["evaluator"]])
        pay_bond(w, bond - seat * len(r["votes"]), [r["optimizer"]])
        return
    votes = [{"evaluator": v["evaluator"], "performance": int(v["performance"])} for v in r["votes"]]
    verdict = aggregate(votes, int(r["reported"]), int(domain["toleranceAbs"]), domain["toleranceRelPpm"], domain["quorumFractionPpm"], required)
    for e in verdict["agreeing"]:
        w.move_reputation(e, "evaluationAgreed")
        w.s["pending-evaluator"][e] = w.s["pending-evaluator"].get(e, 0) + 1
    for e in verdict["outliers"]:
        w.move_reputation(e, "evaluationDiverged")
    if verdict["accepted"]:
        pay_bond(w, bond, [r["optimizer"]])
    else:
        w.move_reputation(r["optimizer"], "optimaeRejected")
        pay_bond(w, bond, verdict["agreeing"] or [v["evaluator"] for v in r["votes"]])
    status = "accepted" if verdict["accepted"] else "rejected"
    r.update(status=status, verified=verdict["verified"], agreeing=verdict["agreeing"])
    w.receipts["verdicts"].append({"optimae": r["optimae"], "status": status, "verified": verdict["verified"], "txIndex": w.tx_index})


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
            w.burn(int(c["bond"]))
    for rid in sorted(s["round"]):
        r = s["round"][rid]
        if r["status"] == "voting" and height > r["deadline"]:
            decide_round(w, r)
        if r["status"] != "voting" and height > r["deadline"] + params["voteWindowBlocks"]:
            del s["round"][rid]
            champion = s["champion"].get(r["domain"])
            if s["revealed"].get(r["paramsHash"]) == rid and (champion is None or champion["optimae"] != rid):
                del s["revealed"][r["paramsHash"]]
    return w


def select_evaluators(w, optimizer, beacon):
    params = w.params
    eligible = [a for a in validators(params, w.s["accounts"], w.timestamp) if a != optimizer]
    active = sum(1 for a in eligible if w.account(a)["lastActiveTime"] >= w.timestamp - params["reputation"]["halfLifeMs"])
    k = quorum_size(len(eligible), 0 if not eligible else active * ONE // len(eligible), params["quorum"]["minSize"], params["quorum"]["maxSize"])
    return select_quorum(quorum_seed(beacon), eligible, k)


def apply_tx(w, tx, index):
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
            w.credit(body["to"], int(body["amount"]))
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
    elif kind == "reveal":
        c = s["commit"].get(body["commit"])
        if c is None:
            if any(r["commit"] == body["commit"] for r in s["round"].values()):
                raise Refused("ALREADY_REVEALED")
            raise Refused("UNKNOWN_COMMIT")
        if c["optimizer"] != sender:
            raise Refused("NOT_COMMIT_AUTHOR")
        opening = {"domain": c["domain"], "params": body["params"], "salt": body["salt"], "reported": body["reported"], "optimizer": tx["from"]}
        if hash_of("commitment", opening) != c["commitment"]:
            raise Refused("REVEAL_MISMATCH")
        d = domain_of(params, c["domain"])
        p_hash = hash_of("params", body["params"])
        if p_hash in s["revealed"]:
            raise Refused("DUPLICATE_PARAMS")
        if canonical_bytes(body["params"]) > d["maxParamsBytes"]:
            raise Refused("PARAMS_TOO_LARGE")
        seed_height = c["height"] + params["seedDelayBlocks"]
        if w.height <= seed_height:
            raise Refused("REVEAL_TOO_EARLY")
        beacon = s["recent-beacon"][seed_height]
        quorum = select_evaluators(w, sender, beacon)

        def effect():
            del s["commit"][c["id"]]
            s["revealed"][p_hash] = tx["id"]
            s["round"][tx["id"]] = {
                "optimae": tx["id"], "domain": c["domain"], "optimizer": sender, "commit": c["id"], "beacon": beacon,
                "bond": c["bond"], "paramsHash": p_hash, "params": body["params"], "reported": body["reported"],
                "revealHeight": w.height, "deadline": w.height + params["voteWindowBlocks"], "quorum": quorum,
                "votes": [], "status": "voting", "verified": None, "agreeing": [],
            }
    elif kind == "vote":
        r = s["round"].get(body["optimae"])
        if r is None:
            raise Refused("UNKNOWN_OPTIMAE")
        if sender not in r["quorum"]:
            raise Refused("NOT_SELECTED")
        if any(v["evaluator"] == sender for v in r["votes"]):
            raise Refused("DUPLICATE_VOTE")
        if r["status"] != "voting" or w.height > r["deadline"]:
            def effect():
                pass  # a late vote: its nonce is spent, the round untouched
        else:
            def effect():
                r["votes"] = r["votes"] + [{"evaluator": sender, "performance": body["performance"], "dataHash": body["dataHash"]}]
                a = w.account(sender)
                a["lastActiveTime"] = w.timestamp
                w.put(sender, a)
                if len(r["votes"]) == len(r["quorum"]):
                    decide_round(w, r)
    elif kind == "accept":
        r = s["round"].get(body["optimae"])
        if r is None:
            raise Refused("UNKNOWN_OPTIMAE")
        if r["optimizer"] != sender:
            raise Refused("NOT_OPTIMAE_AUTHOR")
        if r["status"] != "accepted" or r["verified"] is None:
            raise Refused("NOT_VERIFIED")
        d = domain_of(params, r["domain"])
        champion = s["champion"][r["domain"]]
        best, verified = int(champion["performance"]), int(r["verified"])
        delta = verified - best if d["higherIsBetter"] else best - verified
        if delta < int(d["epsilon"]):
            def effect():
                r["status"] = "superseded"
                w.receipts["accepts"].append({"txIndex": w.tx_index, "optimae": r["optimae"], "domain": r["domain"], "optimizer": sender,
                                              "previousBest": str(best), "verified": str(verified), "increment": "0", "superseded": True})
        else:
            def effect():
                a = w.move_reputation(sender, "optimaeAccepted")
                a["lastActiveTime"] = w.timestamp
                w.put(sender, a)
                fraction = reward_fraction(int(r["reported"]), verified, d["higherIsBetter"], d["incentive"])
                inc = mul_fixed(mul_fixed(mul_fixed(delta, int(d["weight"])), rep_factor(int(a["reputation"]))), fraction)
                s["champion"][r["domain"]] = {"performance": str(verified), "optimae": r["optimae"], "optimizer": sender, "params": r["params"], "height": w.height}
                r["status"] = "claimed"
                w.receipts["accepts"].append({"txIndex": w.tx_index, "optimae": r["optimae"], "domain": r["domain"], "optimizer": sender,
                                              "previousBest": str(best), "verified": str(verified), "increment": str(inc), "superseded": False})
                w.block_work += inc
                s["pendingWork"] = str(int(s["pendingWork"]) + inc)
                if inc > 0:
                    s["pending-optimizer"][sender] = str(int(s["pending-optimizer"].get(sender, "0")) + inc)
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
        raise AssertionError("unknown tx kind %s" % kind)
    # fee and nonce first; the effect reads the sender's account after (a transfer to oneself)
    acct["balance"] = str(int(acct["balance"]) - spend)
    acct["nonce"] = tx["nonce"]
    w.put(sender, acct)
    w.fees += int(tx["fee"])
    w.tx_index = index
    effect()
    w.tx_index = None


def run_block(parent, params, producer, rank, beacon, timestamp, txs):
    """The block's effect on `parent`: start-of-block rules, its transactions in order, the
    end of block (carrier or work block, coinbase, difficulty). Returns the state after it
    (tipHash still the parent's), the coinbase, the block's work and the receipts."""
    height = parent["height"] + 1
    w = begin_block(parent, params, height, timestamp)
    for i, tx in enumerate(txs):
        apply_tx(w, tx, i)
    s = w.s
    threshold = int(parent["difficulty"]["threshold"])
    pending = int(s["pendingWork"])
    is_work = pending > 0 and pending >= threshold
    if not is_work and timestamp < parent["tipTimestamp"] + params["carrierIntervalMs"]:
        raise Refused("BELOW_THRESHOLD")
    if timestamp < parent["tipTimestamp"] + (0 if is_work else params["carrierIntervalMs"]) + rank * params["producerSlotMs"]:
        raise Refused("OUT_OF_TURN")
    reward = 0
    if is_work:
        reward = block_reward(parent["mintedBlocks"], params)
        room = int(params["maxSupply"]) - int(parent["supply"])
        reward = min(reward, max(room, 0))
        coinbase = split_reward(reward + w.fees, producer, s["pending-optimizer"], s["pending-evaluator"], params)
        s["difficulty"] = next_difficulty(parent["difficulty"], timestamp, params)
        s["mintedBlocks"] = parent["mintedBlocks"] + 1
        s["pendingWork"] = "0"
        s["pending-optimizer"] = {}
        s["pending-evaluator"] = {}
    else:
        coinbase = split_reward(w.fees, producer, {}, {}, params)
    for out in coinbase:
        w.credit(out["to"], int(out["amount"]))
    s["height"] = height
    s["tipTimestamp"] = timestamp
    s["cumulativeWork"] = str(int(parent["cumulativeWork"]) + w.block_work)
    s["weight"] = parent["weight"] + (2 if rank == 0 else 1)
    s["supply"] = str(int(parent["supply"]) + reward)
    s["beacon"] = beacon
    return s, coinbase, w.block_work, w.receipts


def seal(key, header, txs, coinbase):
    block_hash = hash_of("block", header)
    return {"header": header, "txs": txs, "coinbase": coinbase, "hash": block_hash, "sig": key.sign(block_hash)}


def produce(parent, params, key, timestamp, txs):
    """The block `key` produces on `parent` at `timestamp` with `txs` (in order, all of which
    must apply), and the state after it. Raises Refused where the transition refuses it."""
    height = parent["height"] + 1
    order = schedule(parent, params)
    if key.address not in order:
        raise Refused("NOT_A_PRODUCER")
    rank = order.index(key.address)
    vrf = vrf_prove(key.secret, beacon_input(params["network"], height, parent["beacon"]))
    beacon = hash_of("beacon", {"parent": parent["beacon"], "output": proof_to_hash(ed.point_decompress(vrf[:32])).hex()})
    assert timestamp > parent["tipTimestamp"]
    s, coinbase, work, receipts = run_block(parent, params, key.address, rank, beacon, timestamp, txs)
    header = {
        "network": params["network"], "height": height, "parent": parent["tipHash"], "timestamp": timestamp,
        "producer": key.public, "txRoot": merkle_root([t["id"] for t in txs]), "coinbaseRoot": hash_of("coinbase", coinbase),
        "stateRoot": state_root(s), "work": str(work), "cumulativeWork": s["cumulativeWork"], "threshold": parent["difficulty"]["threshold"],
        "rank": rank, "vrf": vrf.hex(), "beacon": beacon,
    }
    block = seal(key, header, txs, coinbase)
    s["tipHash"] = block["hash"]
    assert validate(parent, params, block)[0] == s
    return block, s, receipts


def canonical_bytes(value):
    return len(json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))


def tx_size_limit(params, kind):
    return params["maxTxBytes"] + (max([0] + [d["maxParamsBytes"] for d in params["domains"]]) if kind == "reveal" else 0)


def validate(parent, params, block):
    """A block received: every check in the order a node applies them (docs/PROTOCOL.md §5: the
    stateless checks of the wire form, the signatures, the header against the parent, then
    the transactions and the end of block, whose results the header must state exactly).
    Returns (state, receipts) or raises Refused."""
    header, txs = block["header"], block["txs"]
    # stateless: each transaction, then the block
    for tx in txs:
        if tx["network"] != params["network"]:
            raise Refused("WRONG_NETWORK")
        if canonical_bytes(tx) > tx_size_limit(params, tx["kind"]):
            raise Refused("TOO_LARGE")
        unsigned = {k: tx[k] for k in ("network", "kind", "from", "nonce", "fee", "body")}
        if hash_of("tx", unsigned) != tx["id"]:
            raise Refused("BAD_ID", "tx id")
    if header["network"] != params["network"]:
        raise Refused("WRONG_NETWORK")
    assert len(txs) <= params["maxTxsPerBlock"]
    if sum(canonical_bytes(tx) for tx in txs) > params["maxBlockTxBytes"]:
        raise Refused("BLOCK_TOO_LARGE")
    if hash_of("block", header) != block["hash"]:
        raise Refused("BAD_ID", "block hash")
    if len({tx["id"] for tx in txs}) != len(txs):
        raise Refused("DUPLICATE_TX")
    if merkle_root([tx["id"] for tx in txs]) != header["txRoot"]:
        raise Refused("BAD_TX_ROOT")
    if hash_of("coinbase", block["coinbase"]) != header["coinbaseRoot"]:
        raise Refused("BAD_COINBASE", "coinbase root")
    # signatures: the producer's on the hash, each sender's on its tx id (a bad one is refused before any other rule)
    for pub, msg, sig in [(header["producer"], block["hash"], block["sig"])] + [(t["from"], t["id"], t["sig"]) for t in txs]:
        if not ed.verify(bytes.fromhex(pub), bytes.fromhex(msg), bytes.fromhex(sig)):
            raise Refused("BAD_SIGNATURE")
    # the header against the parent
    if header["height"] != parent["height"] + 1:
        raise Refused("BAD_HEIGHT")
    if header["parent"] != parent["tipHash"]:
        raise Refused("BAD_PARENT")
    if header["timestamp"] <= parent["tipTimestamp"]:
        raise Refused("BAD_TIMESTAMP")
    if header["threshold"] != parent["difficulty"]["threshold"]:
        raise Refused("BAD_THRESHOLD")
    producer = address_of(header["producer"])
    order = schedule(parent, params)
    if producer not in order:
        raise Refused("NOT_A_PRODUCER")
    rank = order.index(producer)
    if header["rank"] != rank:
        raise Refused("BAD_RANK")
    output = vrf_verify(bytes.fromhex(header["producer"]), beacon_input(params["network"], header["height"], parent["beacon"]), bytes.fromhex(header["vrf"]))
    if output is None:
        raise Refused("BAD_VRF")
    beacon = hash_of("beacon", {"parent": parent["beacon"], "output": output.hex()})
    if header["beacon"] != beacon:
        raise Refused("BAD_BEACON")
    s, coinbase, work, receipts = run_block(parent, params, producer, rank, beacon, header["timestamp"], txs)
    if header["work"] != str(work) or header["cumulativeWork"] != s["cumulativeWork"]:
        raise Refused("BAD_WORK")
    if block["coinbase"] != coinbase:
        raise Refused("BAD_COINBASE")
    if header["stateRoot"] != state_root(s):
        raise Refused("BAD_STATE_ROOT")
    s["tipHash"] = block["hash"]
    return s, receipts


def check_supply(s):
    """Σ balances + bonds held (open commits, rounds still voting) + burned = supply."""
    total = sum(int(a["balance"]) for a in s["accounts"].values())
    total += sum(int(c["bond"]) for c in s["commit"].values())
    total += sum(int(r["bond"]) for r in s["round"].values() if r["status"] == "voting")
    assert total + int(s["burned"]) == int(s["supply"]), "supply not conserved"


# --- the cases ----------------------------------------------------------------------


class Chain:
    def __init__(self, name, network, validator_phrases, overrides, domains=()):
        self.name = name
        self.domains = list(domains)
        self.validators = [Key(p) for p in validator_phrases]
        self.params = devnet_params(network, validator_phrases, overrides, domains)
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

    def next_time(self, rank=0, extra=0, work=False):
        return self.state["tipTimestamp"] + (0 if work else self.params["carrierIntervalMs"]) + rank * self.params["producerSlotMs"] + extra

    def block(self, note, txs=(), rank=0, extra=0, work=False):
        key = self.first(rank)
        block, s, receipts = produce(self.state, self.params, key, self.next_time(rank, extra, work), list(txs))
        assert (s["mintedBlocks"] > self.state["mintedBlocks"]) == work
        check_supply(s)
        self.blocks.append({"note": note, "block": block, "hash": block["hash"], "stateRoot": block["header"]["stateRoot"], "receipts": receipts})
        self.state = s
        return block

    def refuse(self, note, code, txs=(), rank=0, timestamp=None, producer=None):
        """A block the transition must refuse with `code`, on the current tip (the chain does not move).
        Its header is what a producer would write if the rule were not there: the refusal comes first."""
        key = producer or self.first(rank)
        t = timestamp if timestamp is not None else self.next_time(rank)
        block = forge(self.state, self.params, key, t, list(txs), self.schedule_rank(key))
        self.expect_refused(note, code, block)

    def tamper(self, note, code, change, txs=(), reseal=True):
        """The block the tip's first producer would make, changed by `change` (in place) and, unless
        told not to, hashed and signed again: refused with `code`."""
        key = self.first()
        block, _, _ = produce(self.state, self.params, key, self.next_time(), list(txs))
        block = copy.deepcopy(block)
        change(block)
        if reseal:
            block = seal(key, block["header"], block["txs"], block["coinbase"])
        self.expect_refused(note, code, block)

    def expect_refused(self, note, code, block):
        try:
            validate(self.state, self.params, block)
        except Refused as e:
            assert e.code == code, (note, e.code, code)
        else:
            raise AssertionError("%s: not refused" % note)
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
            "domains": self.domains,
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
    coinbase = split_reward(fees, key.address, {}, {}, params)
    header = {
        "network": params["network"], "height": height, "parent": parent["tipHash"], "timestamp": timestamp,
        "producer": key.public, "txRoot": merkle_root([t["id"] for t in txs]), "coinbaseRoot": hash_of("coinbase", coinbase),
        "stateRoot": state_root(parent), "work": "0", "cumulativeWork": parent["cumulativeWork"], "threshold": parent["difficulty"]["threshold"],
        "rank": rank, "vrf": vrf.hex(), "beacon": beacon,
    }
    block_hash = hash_of("block", header)
    return {"header": header, "txs": txs, "coinbase": coinbase, "hash": block_hash, "sig": key.sign(block_hash)}


def new_chain(name, network, phrases, overrides, domains=()):
    c = Chain(name, network, phrases, overrides, domains)
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
    other = c.key("vectors/mallory")
    pay = lambda: [make_tx(alice, c.params["network"], "transfer", c.nonces[alice.address] + 1, 5, {"to": bob.address, "amount": "10"})]

    def header(field, value):
        def change(b):
            b["header"][field] = value(b["header"]) if callable(value) else value
        return change

    def bump(x):
        return str(int(x) + 1)

    c.tamper("a header one height too far", "BAD_HEIGHT", header("height", lambda h: h["height"] + 1), pay())
    c.tamper("a header on another parent", "BAD_PARENT", header("parent", c.blocks[0]["hash"]), pay())
    c.tamper("a header no later than its parent", "BAD_TIMESTAMP", header("timestamp", c.state["tipTimestamp"]), pay())
    c.tamper("a header with another threshold", "BAD_THRESHOLD", header("threshold", lambda h: bump(h["threshold"])), pay())
    c.tamper("a header claiming another rank", "BAD_RANK", header("rank", lambda h: h["rank"] + 1), pay())
    c.tamper("a VRF proof by another key", "BAD_VRF",
             header("vrf", vrf_prove(other.secret, beacon_input(c.params["network"], c.state["height"] + 1, c.state["beacon"])).hex()), pay())
    c.tamper("another beacon than the VRF output gives", "BAD_BEACON", header("beacon", c.state["beacon"]), pay())
    c.tamper("a header claiming work its transactions do not carry", "BAD_WORK", header("work", "1"), pay())
    c.tamper("a cumulative work that is not the parent's plus the block's", "BAD_WORK", header("cumulativeWork", lambda h: bump(h["cumulativeWork"])), pay())
    c.tamper("a state root that is not the state after the block", "BAD_STATE_ROOT", header("stateRoot", c.state["tipHash"]), pay())
    c.tamper("a tx root that is not the transactions'", "BAD_TX_ROOT", header("txRoot", c.state["tipHash"]), pay())

    def coinbase_more(b):
        b["coinbase"][0]["amount"] = bump(b["coinbase"][0]["amount"])
        b["header"]["coinbaseRoot"] = hash_of("coinbase", b["coinbase"])
    c.tamper("a coinbase paying the producer one unit more (its root updated)", "BAD_COINBASE", coinbase_more, pay())
    c.tamper("a coinbase that is not its root's", "BAD_COINBASE", lambda b: b["coinbase"][0].update(amount="1"), pay())

    def twice(b):
        b["txs"] = b["txs"] + b["txs"]
        b["header"]["txRoot"] = merkle_root([x["id"] for x in b["txs"]])
    c.tamper("one transaction twice", "DUPLICATE_TX", twice, pay())
    c.tamper("a hash that is not the header's (signed by the producer)", "BAD_ID",
             lambda b: b.update(hash=c.state["tipHash"], sig=c.first().sign(c.state["tipHash"])), pay(), reseal=False)
    c.tamper("a producer's signature that does not verify", "BAD_SIGNATURE", lambda b: b.update(sig=b["sig"][:-2] + ("00" if b["sig"][-2:] != "00" else "01")), pay(), reseal=False)
    c.tamper("a transaction signed by another key than its sender's", "BAD_SIGNATURE", lambda b: b["txs"][0].update(sig=other.sign(b["txs"][0]["id"])), pay())

    def amount_more(b):
        b["txs"][0]["body"]["amount"] = bump(b["txs"][0]["body"]["amount"])
    c.tamper("a transfer's amount changed after it was signed", "BAD_ID", amount_more, pay())
    c.tamper("a block for another network", "WRONG_NETWORK", header("network", "doin-elsewhere"), pay())
    c.block("after the refusals, the tip moves on", [c.tx(dave, "transfer", {"to": alice.address, "amount": str(dave_balance - 1)}, fee=1)])
    return c.case()


def commits_case():
    """Commits lock a bond; unrevealed ones expire after revealWindowBlocks and the bond
    is burned; anchors record checkpoints (short windows so the chain stays small)."""
    c = new_chain("commits, expiry and anchors", "doin-vectors-commits", ["vectors/erin", "vectors/frank"],
                  {"anchorInterval": 2, "revealWindowBlocks": 3, "voteWindowBlocks": 2, "maxOpenRoundsPerAccount": 2,
                   "maxTxBytes": 600, "maxBlockTxBytes": 1000})
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
    c.refuse("a transaction over maxTxBytes (an anchor with a long ref)", "TOO_LARGE",
             [c.tx(frank, "anchor", {"height": 2, "blockHash": h2, "ledger": "bitcoin", "ref": "r" * 128}, nonce=c.nonces[frank.address] + 1)])
    c.refuse("transactions over maxBlockTxBytes together", "BLOCK_TOO_LARGE",
             [c.tx(frank, "transfer", {"to": erin.address, "amount": "1"}, nonce=c.nonces[frank.address] + i) for i in (1, 2, 3)])
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


def rounds_case():
    """Commit, reveal (quorum from the beacon), votes, the three verdicts (accepted at the last
    vote, rejected, expired at the deadline), an accept that makes a work block (reward split,
    difficulty retarget), reputation moved and decayed, late votes, rounds forgotten."""
    c = new_chain("rounds: reveal, vote, verdicts, accept, work block", "doin-vectors-rounds",
                  ["vectors/v0", "vectors/v1", "vectors/v2", "vectors/v3"],
                  {"seedDelayBlocks": 2, "voteWindowBlocks": 3, "revealWindowBlocks": 6})
    v0, v1, v2, v3 = c.validators
    net = c.params["network"]
    quad = "quadratic"

    def opening(key, params, reported, salt):
        return {"domain": quad, "params": params, "salt": salt, "reported": str(reported), "optimizer": key.public}

    salt = lambda label: hashlib.sha256(label.encode()).hexdigest()[:32]
    dh = lambda label: hashlib.sha256(("data/" + label).encode()).hexdigest()
    claims = {  # optimizer: (params, reported)
        "r1": (v0, {"x": [1, -2, 3]}, -50_500_000),
        "r2": (v1, {"x": [4, 5, 6]}, -60 * ONE),
        "r3": (v2, {"x": [7, 8, 9], "note": "ü"}, -10 * ONE),
        "r4": (v3, {"x": [0]}, -40 * ONE),
    }
    commits = {}
    txs = []
    for name, (key, params, reported) in claims.items():
        tx = c.tx(key, "commit", {"domain": quad, "commitment": hash_of("commitment", opening(key, params, reported, salt(name)))}, fee=100)
        commits[name] = tx["id"]
        txs.append(tx)
    c.block("three commits (bonds locked)", txs)

    def reveal(name, nonce=None, salt_label=None, key=None):
        k, params, reported = claims[name]
        return c.tx(key or k, "reveal", {"commit": commits[name], "params": params, "salt": salt(salt_label or name), "reported": str(reported)}, nonce=nonce)

    c.refuse("a reveal before its quorum seed exists", "REVEAL_TOO_EARLY", [reveal("r1", nonce=c.nonces[v0.address] + 1)])
    c.block("a carrier block")
    c.block("a carrier block, the seed's beacon", [c.tx(v3, "transfer", {"to": v0.address, "amount": "1"})])
    c.refuse("a reveal whose salt does not open the commitment", "REVEAL_MISMATCH", [reveal("r1", nonce=c.nonces[v0.address] + 1, salt_label="other")])
    c.refuse("a reveal of another's commit", "NOT_COMMIT_AUTHOR", [reveal("r1", nonce=c.nonces[v1.address] + 1, key=v1)])
    c.refuse("a commit id never seen", "UNKNOWN_COMMIT",
             [c.tx(v0, "reveal", {"commit": "ab" * 32, "params": {"x": []}, "salt": salt("x"), "reported": "0"}, nonce=c.nonces[v0.address] + 1)])
    c.block("three reveals: rounds open, each quorum drawn from the beacon after its commit's seed delay",
            [reveal("r1"), reveal("r2"), reveal("r3"), reveal("r4")])
    rounds = {name: c.blocks[-1]["block"]["txs"][i]["id"] for i, name in enumerate(claims)}
    quorum = {name: c.state["round"][rid]["quorum"] for name, rid in rounds.items()}
    by_addr = {k.address: k for k in c.validators}

    def vote(name, key, performance, nonce=None):
        return c.tx(key, "vote", {"optimae": rounds[name], "performance": str(performance), "dataHash": dh(name + key.phrase)}, nonce=nonce)

    c.refuse("a vote by the optimizer, who is not in its quorum", "NOT_SELECTED", [vote("r1", v0, -50 * ONE, nonce=c.nonces[v0.address] + 1)])
    c.refuse("a vote on an optimae with no round", "UNKNOWN_OPTIMAE",
             [c.tx(v1, "vote", {"optimae": "cd" * 32, "performance": "0", "dataHash": dh("none")}, nonce=c.nonces[v1.address] + 1)])
    q1 = [by_addr[a] for a in quorum["r1"]]
    q2 = [by_addr[a] for a in quorum["r2"]]
    q3 = [by_addr[a] for a in quorum["r3"]]
    q4 = [by_addr[a] for a in quorum["r4"]]
    txs = [vote("r1", q1[0], -50_200_000), vote("r3", q3[0], -70 * ONE), vote("r1", q1[1], -80 * ONE),
           vote("r3", q3[1], -70_100_000), vote("r2", q2[0], -60 * ONE), vote("r3", q3[2], -69_900_000),
           vote("r1", q1[2], -49_800_000), vote("r4", q4[0], -40 * ONE)]
    c.block("votes: r1's last vote decides it (two agree, one diverges: accepted); r3's voters all disagree "
            "with its claim (rejected, the bond to them); r2 and r4 get one vote of three", txs)
    c.refuse("a second vote of one evaluator", "DUPLICATE_VOTE", [vote("r2", q2[0], -60 * ONE, nonce=c.nonces[q2[0].address] + 1)])
    accept_body = lambda name: {"optimae": rounds[name], "experimentId": "exp-" + name, "roundNumber": 1, "timeToResultSeconds": 30,
                                "optimizationConfigHash": dh("cfg"), "dataHash": dh("result")}
    c.refuse("an accept by another than the optimizer", "NOT_OPTIMAE_AUTHOR", [c.tx(v1, "accept", accept_body("r1"), nonce=c.nonces[v1.address] + 1)])
    c.refuse("an accept of a rejected round", "NOT_VERIFIED", [c.tx(v2, "accept", accept_body("r3"), nonce=c.nonces[v2.address] + 1)])
    c.refuse("an accept of a round still voting", "NOT_VERIFIED", [c.tx(v1, "accept", accept_body("r2"), nonce=c.nonces[v1.address] + 1)])
    c.block("the accept of r1: the champion moves, its increment is the block's work, above the threshold: a work "
            "block (50 DOIN and the fees split to producer, optimizer, agreeing evaluators; the threshold retargets)",
            [c.tx(v0, "accept", accept_body("r1"), fee=500), c.tx(v3, "transfer", {"to": v1.address, "amount": "77"}, fee=23)],
            work=True, extra=3_000)
    c.block("two days later (reputations decay, read at the next change); r2's second vote, in time",
            [c.tx(v3, "transfer", {"to": v2.address, "amount": str(COIN)}, fee=1), vote("r2", q2[1], -61 * ONE)],
            extra=2 * 24 * 3_600_000)
    c.block("the voting windows closed at the block's start: r2 decided by its two votes (accepted; the silent "
            "evaluator loses reputation), r4 with one vote of the two required expired (the silent ones lose "
            "reputation, the voter is paid a seat, the rest of the bond goes back); a late vote is recorded as "
            "nothing; r2's accept is superseded (worse than the champion: no work, no reward)",
            [vote("r2", q2[2], -59 * ONE), c.tx(v1, "accept", accept_body("r2"))])
    c.block("a carrier block")
    c.block("a carrier block")
    c.block("the decided rounds are forgotten a vote window after their deadline; the champion's params stay revealed")
    # the lowest reputation misses one more vote: floored at zero
    low = min(c.validators, key=lambda k: int(c.state["accounts"][k.address]["reputation"]))
    assert int(c.state["accounts"][low.address]["reputation"]) < 2 * ONE
    author = next(k for k in c.validators if k is not low)
    claims["r5"] = (author, {"x": [5, 5]}, -45 * ONE)
    tx = c.tx(author, "commit", {"domain": quad, "commitment": hash_of("commitment", opening(author, claims["r5"][1], claims["r5"][2], salt("r5")))})
    commits["r5"] = tx["id"]
    c.block("a commit whose quorum will hold the account of lowest reputation", [tx])
    c.block("a carrier block")
    c.block("a carrier block")
    c.block("the reveal", [reveal("r5")])
    rounds["r5"] = c.blocks[-1]["block"]["txs"][0]["id"]
    assert low.address in c.state["round"][rounds["r5"]]["quorum"]
    c.block("two of its three evaluators vote", [vote("r5", k, -45 * ONE) for k in c.validators if k is not low and k is not author])
    c.block("a carrier block")
    c.block("a carrier block")
    c.block("the deadline passed: decided by the two votes; the silent evaluator's reputation, below the penalty, is floored at zero")
    assert c.state["accounts"][low.address]["reputation"] == "0"
    return c.case()


def validators_case():
    """More validators than quorum.minSize: the schedule and the quorums follow decayed
    reputation (two silent evaluators fall out after a week), a quorum smaller than the
    eligible set, work carried by a carrier block below the threshold, two optimizers paid
    in one coinbase, the epoch retarget, the halving and the supply cap."""
    genesis_supply = 4 * 1000 * COIN
    c = new_chain("validators by reputation, pending work, epoch, halving and cap", "doin-vectors-validators",
                  ["vectors/w0", "vectors/w1", "vectors/w2", "vectors/w3"],
                  {"quorum": {"minSize": 2, "maxSize": 3}, "seedDelayBlocks": 1, "voteWindowBlocks": 2, "revealWindowBlocks": 4,
                   "epochLength": 2, "initialThreshold": str(600 * ONE), "initialReward": "1000", "halvingInterval": 1,
                   "maxSupply": str(genesis_supply + 1200)})
    w0, w1, w2, w3 = c.validators
    quad = "quadratic"
    salt = lambda label: hashlib.sha256(label.encode()).hexdigest()[:40]
    dh = lambda label: hashlib.sha256(("data/" + label).encode()).hexdigest()
    claims = {"r1": (w0, {"w": [5]}, -500 * ONE), "r2": (w1, {"w": [6]}, -100 * ONE), "r3": (w0, {"w": [7]}, -90 * ONE),
              "dup": (w2, {"w": [5]}, -500 * ONE)}
    commits, rounds = {}, {}

    def commit(name, fee=0):
        key, params, reported = claims[name]
        opening = {"domain": quad, "params": params, "salt": salt(name), "reported": str(reported), "optimizer": key.public}
        tx = c.tx(key, "commit", {"domain": quad, "commitment": hash_of("commitment", opening)}, fee=fee)
        commits[name] = tx["id"]
        return tx

    def reveal(name, nonce=None):
        key, params, reported = claims[name]
        return c.tx(key, "reveal", {"commit": commits[name], "params": params, "salt": salt(name), "reported": str(reported)}, nonce=nonce)

    def vote(name, key, performance):
        return c.tx(key, "vote", {"optimae": rounds[name], "performance": str(performance), "dataHash": dh(name + key.phrase)})

    def accept(name, fee=0):
        key = claims[name][0]
        return c.tx(key, "accept", {"optimae": rounds[name], "experimentId": "x." + name, "roundNumber": 3, "timeToResultSeconds": 0,
                                    "optimizationConfigHash": dh("c"), "dataHash": dh("d")}, fee=fee)

    c.block("four commits, one of them (w2's) to params w0 commits to as well", [commit("r1"), commit("r2", fee=9), commit("r3"), commit("dup")])
    c.block("a carrier block: the seed of the commits' quorums")
    c.block("three reveals: each quorum is 2 of the 3 eligible", [reveal("r1"), reveal("r2"), reveal("r3")])
    for i, name in enumerate(["r1", "r2", "r3"]):
        rounds[name] = c.blocks[-1]["block"]["txs"][i]["id"]
    quorum = {n: [c.keys[a] for a in c.state["round"][rounds[n]]["quorum"]] for n in rounds}
    assert all(len(q) == 2 for q in quorum.values())
    c.refuse("params another optimae revealed first", "DUPLICATE_PARAMS", [reveal("dup", nonce=c.nonces[w2.address] + 1)])
    c.refuse("a commit already revealed", "ALREADY_REVEALED", [reveal("r1", nonce=c.nonces[w0.address] + 1)])
    c.block("votes on r1 and r2 (each decided at its last vote); r3's quorum stays silent",
            [vote("r1", quorum["r1"][0], -500 * ONE), vote("r2", quorum["r2"][0], -100 * ONE),
             vote("r1", quorum["r1"][1], -499 * ONE), vote("r2", quorum["r2"][1], -100_400_000)])
    c.block("r1's accept: its increment is below the threshold, so a carrier block carries it (work in the header, pending in the state)",
            [accept("r1")])
    c.block("r2's accept brings the pending work over the threshold: a work block paying both optimizers pro rata "
            "and every agreeing evaluator; r3 expires at the start (its silent quorum loses reputation, the bond goes "
            "back) and w2's unrevealed commit expires (burned)", [accept("r2", fee=3)], work=True, extra=1_000)
    excluded = [k for k in quorum["r3"]]
    c.block("eight days later: the two silent evaluators' reputation decays below the minimum, the others' does not",
            extra=8 * 24 * 3_600_000)
    remaining = schedule(c.state, c.params)
    assert sorted(remaining) == sorted(k.address for k in c.validators if k not in excluded), remaining
    c.refuse("a block by a validator whose reputation decayed below the minimum", "NOT_A_PRODUCER", producer=excluded[0])
    optimizer = c.keys[remaining[0]]
    claims["r4"] = (optimizer, {"w": [8]}, 1000 * ONE)
    c.block("a commit: its quorum will be the one other validator left", [commit("r4")])
    c.block("a carrier block")
    c.block("the reveal: a quorum of one (no evaluator active in the last half-life)", [reveal("r4")])
    rounds["r4"] = c.blocks[-1]["block"]["txs"][0]["id"]
    q4 = [c.keys[a] for a in c.state["round"][rounds["r4"]]["quorum"]]
    assert len(q4) == 1 and q4[0].address == remaining[1]
    c.block("the single vote decides it", [vote("r4", q4[0], 1000 * ONE)])
    c.block("the second work block of the epoch: the epoch retarget; the reward halved (halvingInterval 1) and capped by maxSupply",
            [accept("r4")], work=True, extra=500)
    assert c.state["difficulty"]["blocksInEpoch"] == 0 and c.state["supply"] == c.params["maxSupply"], c.state["difficulty"]
    claims["r5"] = (optimizer, {"w": [9]}, 3000 * ONE)
    c.block("one more round after the cap: the commit", [commit("r5")])
    c.block("a carrier block")
    c.block("the reveal", [reveal("r5")])
    rounds["r5"] = c.blocks[-1]["block"]["txs"][0]["id"]
    c.block("the vote", [vote("r5", q4[0], 3000 * ONE)])
    c.block("a work block with the supply exhausted: the reward is 0 (era 2 would pay 250), the coinbase splits the fees alone",
            [accept("r5", fee=7)], work=True, extra=100)
    assert c.state["supply"] == c.params["maxSupply"] and c.state["mintedBlocks"] == 3
    return c.case()


LOSS = {
    "id": "loss",
    "higherIsBetter": False,
    "epsilon": "1000",
    "bond": "50000000",
    "weight": "2000000",
    "toleranceAbs": "100000",
    "toleranceRelPpm": 20_000,
    "quorumFractionPpm": 600_000,
    "initialChampion": str(100 * ONE),
    "maxParamsBytes": 64,
    "incentive": {"toleranceMarginPpm": 200_000, "bonusThresholdPpm": 100_000, "minRewardFractionPpm": 500_000, "maxBonusPpm": 1_500_000},
}


def domain_case():
    """A declared domain where lower is better, with its own bond, weight, tolerances,
    quorum fraction, params limit and incentive curve (the DOMAINS setting)."""
    c = new_chain("a lower-is-better domain", "doin-vectors-domain", ["vectors/u0", "vectors/u1", "vectors/u2", "vectors/u3"],
                  {"seedDelayBlocks": 1, "voteWindowBlocks": 2}, [LOSS])
    u0, u1, u2, u3 = c.validators
    salt = "5a" * 16
    big_params = {"w": list(range(30))}
    claims = {"l1": (u0, {"w": [1, 2]}, 42 * ONE), "big": (u1, big_params, 10 * ONE)}
    commits = {}

    def opening(name):
        key, params, reported = claims[name]
        return {"domain": "loss", "params": params, "salt": salt, "reported": str(reported), "optimizer": key.public}

    def commit(name):
        tx = c.tx(claims[name][0], "commit", {"domain": "loss", "commitment": hash_of("commitment", opening(name))}, fee=2)
        commits[name] = tx["id"]
        return tx

    def reveal(name, nonce=None):
        key, params, reported = claims[name]
        return c.tx(key, "reveal", {"commit": commits[name], "params": params, "salt": salt, "reported": str(reported)}, nonce=nonce)

    c.block("two commits on the declared domain (its bond: 0.5 DOIN)", [commit("l1"), commit("big")])
    c.block("the seed block")
    c.refuse("params over the domain's maxParamsBytes", "PARAMS_TOO_LARGE", [reveal("big", nonce=c.nonces[u1.address] + 1)])
    c.block("the reveal: a quorum of the three others", [reveal("l1")])
    optimae = c.blocks[-1]["block"]["txs"][0]["id"]
    q = [c.keys[a] for a in c.state["round"][optimae]["quorum"]]
    assert len(q) == 3
    vote = lambda key, perf: c.tx(key, "vote", {"optimae": optimae, "performance": str(perf), "dataHash": "d" * 64})
    c.block("three votes, one far off: two of three agree (the domain needs 60 %), the claim is within tolerance of the verified value",
            [vote(q[0], 42 * ONE), vote(q[1], 42_500_000), vote(q[2], 60 * ONE)])
    c.block("the accept: improvement = champion - verified, times the domain's weight 2.0, the reward fraction for a claim "
            "slightly better than verified (a penalty on this domain's curve): a work block",
            [c.tx(u0, "accept", {"optimae": optimae, "experimentId": "loss:1", "roundNumber": 0, "timeToResultSeconds": 5,
                                 "optimizationConfigHash": "c" * 64, "dataHash": "e" * 64}, fee=4)], work=True, extra=700)
    c.block("a carrier block after the work block (u1's commit stays open)")
    return c.case()


def main():
    cases = [transfers_case(), commits_case(), rounds_case(), validators_case(), domain_case()]
    write_fixture(
        "blocks",
        "Whole-block vectors: chain parameters, genesis, then blocks in wire form, each with the state root "
        "after it, its hash and its receipts; and blocks on a tip that the transition must refuse, with the error code.",
        "constructed by test/vectors/gen/gen_blocks.py",
        "python3 test/vectors/gen/gen_blocks.py (standard library only): the block transition restated from "
        "docs/PROTOCOL.md on the independent pieces of the other generators (rfc8032.py signatures, gen_vrf.py "
        "ECVRF, gen_merkle.py tx root, gen_quorum.py selection and aggregation, gen_state_tree.py state tree rebuilt "
        "from every leaf). Each case: the devnet preset with `overrides` (bigints as decimal strings) and the "
        "genesis validators' seed phrases (`params` is the whole parameter set in wire form), the genesis hash and "
        "state root, `blocks` (wire form, the hash, the state root after it, the receipts) applied in order from "
        "genesis, and `refused` blocks on the tip after `after` blocks with the error code of the first rule broken. "
        "What is covered and what is not: docs/PROTOCOL.md section 5, whole-block vectors.",
        cases,
    )


if __name__ == "__main__":
    main()
