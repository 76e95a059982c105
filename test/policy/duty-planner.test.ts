/**
 * The duty planner (durable-objects/duty-planner.ts): every rule of a QuorumDO's sync, as a pure
 * function of the chain's answer (dutiesView / ChainDO.dutiesFor), the node's own optimae and the
 * duties already queued.
 */
import { describe, expect, it } from "vitest";
import { evaluatorSeed } from "../../core/quorum.ts";
import type { ChainState, CommitRecord, Round } from "../../core/types.ts";
import { dutiesView, MAX_IN_FLIGHT, PATIENCE_MARGIN_BLOCKS, planDuties, type DutyAction, type OwnOptimae, type PlanInput } from "../../durable-objects/duty-planner.ts";
import type { DutiesView } from "../../durable-objects/rpc.ts";

const ME = "a".repeat(40);
const OTHER = "b".repeat(40);
const DOMAIN = "quadratic";
const PARAMS = { seedDelayBlocks: 3, voteWindowBlocks: 20 };
const PATIENCE = PARAMS.voteWindowBlocks + PATIENCE_MARGIN_BLOCKS;
const h = (c: string): string => c.repeat(64);

function view(over: Partial<DutiesView> = {}): DutiesView {
  return { height: 100, evaluate: [], commits: [], rounds: [], openRounds: 0, ...over };
}

const ROUND_TO_EVALUATE: DutiesView["evaluate"][number] = { optimae: h("1"), commit: h("2"), beacon: h("3"), params: { x: [1, 2] }, reported: "-5", deadline: 110 };

function own(over: Partial<OwnOptimae> = {}): OwnOptimae {
  return {
    commitment: h("c"),
    params: { x: [3, 4] },
    salt: "5a17",
    reported: "-7",
    experiment: { experimentId: "e", roundNumber: 1, timeToResultSeconds: 2, optimizationConfigHash: h("0"), dataHash: h("d") },
    stage: "revealing",
    commitId: h("e"),
    optimae: null,
    since: 100,
    ...over,
  };
}

/** A record stored before `since` existed. */
function withoutSince(o: OwnOptimae): OwnOptimae {
  const copy: { -readonly [K in keyof OwnOptimae]?: OwnOptimae[K] } = { ...o };
  delete copy.since;
  return copy as OwnOptimae;
}

function plan(over: Partial<PlanInput> = {}): DutyAction[] {
  return planDuties({ me: ME, domain: DOMAIN, view: view(), own: [], queued: new Set(), params: PARAMS, optimizing: false, ...over });
}

const ofKind = <K extends DutyAction["kind"]>(actions: DutyAction[], kind: K): Extract<DutyAction, { kind: K }>[] => actions.filter((a): a is Extract<DutyAction, { kind: K }> => a.kind === kind);

describe("duty planner: evaluations", () => {
  it("a round that selected this node and lacks its vote → one evaluate job, with the node's own seed", () => {
    const actions = plan({ view: view({ evaluate: [ROUND_TO_EVALUATE] }) });
    const seed = evaluatorSeed(ROUND_TO_EVALUATE.commit, ME, ROUND_TO_EVALUATE.beacon);
    expect(ofKind(actions, "evaluate")).toEqual([
      {
        kind: "evaluate",
        optimae: h("1"),
        deadline: 110,
        spec: {
          id: `evaluate:${h("1")}:${ME}`,
          kind: "evaluate",
          domain: DOMAIN,
          payload: { optimae: h("1"), params: { x: [1, 2] }, reported: "-5", seed: seed.seed, seed32: seed.seed32, deadline: 110 },
          priority: 0,
          notify: "quorum",
        },
      },
    ]);
  });

  it("not again once queued (or voted: the duty stays recorded)", () => {
    expect(ofKind(plan({ view: view({ evaluate: [ROUND_TO_EVALUATE] }), queued: new Set([h("1")]) }), "evaluate")).toEqual([]);
  });

  it("not after the deadline; still at it", () => {
    expect(ofKind(plan({ view: view({ height: 111, evaluate: [ROUND_TO_EVALUATE] }) }), "evaluate")).toEqual([]);
    expect(ofKind(plan({ view: view({ height: 110, evaluate: [ROUND_TO_EVALUATE] }) }), "evaluate")).toHaveLength(1);
  });
});

describe("duty planner: own optimae", () => {
  it("a commit not on chain yet, or too young for its quorum seed → nothing", () => {
    expect(plan({ own: [own()] }).filter((a) => a.kind === "reveal" || a.kind === "save")).toEqual([]);
    // height + 1 must pass commit height + seedDelayBlocks: 100 + 1 > 98 + 3 is false
    const young = view({ commits: [{ id: h("e"), commitment: h("c"), height: 98 }] });
    expect(plan({ view: young, own: [own()] }).filter((a) => a.kind === "reveal" || a.kind === "save")).toEqual([]);
  });

  it("a commit seedDelayBlocks old → the reveal, recorded as voting only through the action's `next`", () => {
    for (const stage of ["committing", "revealing"] as const) {
      const old = view({ commits: [{ id: h("f"), commitment: h("c"), height: 97 }] });
      const o = own({ stage, since: 99 });
      const actions = plan({ view: old, own: [o] });
      expect(ofKind(actions, "save")).toEqual([]);
      expect(ofKind(actions, "reveal")).toEqual([
        { kind: "reveal", tx: { commit: h("f"), params: o.params, salt: o.salt, reported: o.reported }, next: { ...o, stage: "voting", commitId: h("f"), since: 100 } },
      ]);
    }
  });

  it("another commitment's commit is not ours to reveal", () => {
    const other = view({ commits: [{ id: h("f"), commitment: h("9"), height: 50 }] });
    expect(ofKind(plan({ view: other, own: [own()] }), "reveal")).toEqual([]);
  });

  it("round accepted → the accept (once: not again while accepting)", () => {
    const accepted = view({ rounds: [{ optimae: h("7"), commit: h("e"), status: "accepted" }] });
    const o = own({ stage: "voting", optimae: h("7") });
    expect(ofKind(plan({ view: accepted, own: [o] }), "accept")).toEqual([{ kind: "accept", tx: { optimae: h("7"), ...o.experiment }, next: { ...o, stage: "accepting", since: 100 } }]);
    expect(ofKind(plan({ view: accepted, own: [own({ stage: "accepting", optimae: h("7") })] }), "accept")).toEqual([]);
  });

  it("round claimed → done; rejected or expired → failed (from voting and from accepting)", () => {
    const cases = [
      ["claimed", "done"],
      ["rejected", "failed"],
      ["expired", "failed"],
    ] as const;
    for (const [status, stage] of cases) {
      for (const from of ["voting", "accepting"] as const) {
        const o = own({ stage: from, optimae: h("7") });
        const actions = plan({ view: view({ rounds: [{ optimae: h("7"), commit: h("e"), status }] }), own: [o] });
        expect(ofKind(actions, "save")).toEqual([{ kind: "save", own: { ...o, stage } }]);
        expect(ofKind(actions, "accept")).toEqual([]);
      }
    }
  });

  it("a round still voting, superseded or not on the head leaves the stage as it is", () => {
    for (const rounds of [
      [{ optimae: h("7"), commit: h("e"), status: "voting" }],
      [{ optimae: h("7"), commit: h("e"), status: "superseded" }],
      [{ optimae: h("8"), commit: h("e"), status: "claimed" }],
    ]) {
      const actions = plan({ view: view({ rounds }), own: [own({ stage: "voting", optimae: h("7") })] });
      expect(actions.filter((a) => a.kind === "save" || a.kind === "accept")).toEqual([]);
    }
  });

  it("no progress for voteWindowBlocks + 10 blocks → failed, and nothing else is tried for it", () => {
    const ready = view({ height: 100 + PATIENCE + 1, commits: [{ id: h("f"), commitment: h("c"), height: 10 }] });
    const o = own({ stage: "revealing", since: 100 });
    const actions = plan({ view: ready, own: [o] });
    expect(ofKind(actions, "save")).toEqual([{ kind: "save", own: { ...o, stage: "failed" } }]);
    expect(ofKind(actions, "reveal")).toEqual([]);
    // at the limit itself it is still patient
    const atLimit = plan({ view: { ...ready, height: 100 + PATIENCE }, own: [o] });
    expect(ofKind(atLimit, "save")).toEqual([]);
    expect(ofKind(atLimit, "reveal")).toHaveLength(1);
  });

  it("a record without `since` gets the current height, and the same sync goes on with it", () => {
    const ready = view({ commits: [{ id: h("f"), commitment: h("c"), height: 10 }] });
    const bare = withoutSince(own({ stage: "committing" }));
    const actions = plan({ view: ready, own: [bare] });
    expect(ofKind(actions, "save")).toEqual([{ kind: "save", own: { ...bare, since: 100 } }]);
    expect(ofKind(actions, "reveal")).toHaveLength(1);
    // the start counts: a record without `since` is never failed in the sync that sets it
    expect(ofKind(plan({ view: { ...ready, height: 10_000 }, own: [bare] }), "save")).toEqual([{ kind: "save", own: { ...bare, since: 10_000 } }]);
  });

  it("done and failed optimae are left alone, however old", () => {
    const rounds = [{ optimae: h("7"), commit: h("e"), status: "accepted" }];
    const actions = plan({ view: view({ height: 10_000, rounds }), own: [own({ stage: "done", optimae: h("7"), since: 1 }), own({ commitment: h("9"), stage: "failed", optimae: h("7"), since: 1 })] });
    expect(actions).toEqual([{ kind: "forgetBelow", height: 10_000 - PARAMS.voteWindowBlocks }]);
  });
});

describe("duty planner: the optimize job", () => {
  const inFlight = (n: number): OwnOptimae[] => Array.from({ length: n }, (_, i) => own({ commitment: h(String(i)) }));

  it("kept queued in an optimizing domain while fewer than MAX_IN_FLIGHT own optimae are in flight", () => {
    expect(ofKind(plan({ optimizing: true }), "optimize")).toHaveLength(1);
    expect(ofKind(plan({ optimizing: true, own: inFlight(MAX_IN_FLIGHT - 1) }), "optimize")).toHaveLength(1);
    expect(ofKind(plan({ optimizing: true, own: inFlight(MAX_IN_FLIGHT) }), "optimize")).toEqual([]);
    expect(ofKind(plan({ optimizing: false }), "optimize")).toEqual([]);
  });

  it("counts the optimae as this sync leaves them: one settled now frees a place", () => {
    const claimed = view({ rounds: [{ optimae: h("7"), commit: h("e"), status: "claimed" }] });
    const full = [...inFlight(MAX_IN_FLIGHT - 1), own({ commitment: h("f"), stage: "accepting", optimae: h("7") })];
    expect(ofKind(plan({ optimizing: true, view: claimed, own: full }), "optimize")).toHaveLength(1);
  });
});

describe("duty planner: liveness and forgetting", () => {
  it("asks for blocks exactly while a round votes or an own optimae is in flight", () => {
    expect(ofKind(plan(), "keepBlocksComing")).toEqual([]);
    expect(ofKind(plan({ view: view({ openRounds: 1 }) }), "keepBlocksComing")).toHaveLength(1);
    expect(ofKind(plan({ own: [own()] }), "keepBlocksComing")).toHaveLength(1);
    expect(ofKind(plan({ own: [own({ stage: "done" }), own({ commitment: h("9"), stage: "failed" })] }), "keepBlocksComing")).toEqual([]);
    // the last optimae in flight fails in this sync: nothing waits any more
    expect(ofKind(plan({ view: view({ height: 100 + PATIENCE + 1 }), own: [own()] }), "keepBlocksComing")).toEqual([]);
  });

  it("forgets duties more than a vote window past their deadline, last of all", () => {
    const actions = plan({ optimizing: true, view: view({ evaluate: [ROUND_TO_EVALUATE], openRounds: 1 }), own: [withoutSince(own())] });
    expect(actions.map((a) => a.kind)).toEqual(["evaluate", "save", "optimize", "keepBlocksComing", "forgetBelow"]);
    expect(actions.at(-1)).toEqual({ kind: "forgetBelow", height: 100 - PARAMS.voteWindowBlocks });
  });
});

describe("dutiesView: what the chain answers one node", () => {
  function round(over: Partial<Round>): Round {
    return {
      optimae: h("1"),
      domain: DOMAIN,
      optimizer: OTHER,
      commit: h("2"),
      beacon: h("3"),
      bond: 10n,
      paramsHash: h("4"),
      params: { x: [1] },
      reported: -5n,
      revealHeight: 90,
      deadline: 110,
      quorum: [ME, OTHER],
      votes: [],
      status: "voting",
      verified: null,
      agreeing: [],
      ...over,
    };
  }
  function commit(over: Partial<CommitRecord>): CommitRecord {
    return { id: h("5"), domain: DOMAIN, optimizer: ME, commitment: h("6"), height: 95, bond: 10n, ...over };
  }
  function state(rounds: Round[], commits: CommitRecord[] = []): Pick<ChainState, "height" | "rounds" | "commits"> {
    return { height: 100, rounds: new Map(rounds.map((r) => [r.optimae, r])), commits: new Map(commits.map((c) => [c.id, c])) };
  }

  it("rounds to evaluate: voting, in the domain, selecting the node, without its vote", () => {
    const rounds = [
      round({ optimae: h("a") }),
      round({ optimae: h("b"), votes: [{ evaluator: ME, performance: -5n, dataHash: h("d") }] }),
      round({ optimae: h("c"), votes: [{ evaluator: OTHER, performance: -5n, dataHash: h("d") }] }),
      round({ optimae: h("d"), quorum: [OTHER] }),
      round({ optimae: h("e"), domain: "other" }),
      round({ optimae: h("f"), status: "accepted" }),
    ];
    const v = dutiesView(state(rounds), ME, DOMAIN);
    expect(v.evaluate.map((r) => r.optimae)).toEqual([h("a"), h("c")]);
    expect(v.evaluate[0]).toEqual({ optimae: h("a"), commit: h("2"), beacon: h("3"), params: { x: [1] }, reported: "-5", deadline: 110 });
    expect(v.height).toBe(100);
  });

  it("the node's commits and rounds in the domain; voting rounds counted in every domain", () => {
    const rounds = [
      round({ optimae: h("a"), optimizer: ME, status: "accepted" }),
      round({ optimae: h("b"), optimizer: ME, domain: "other" }),
      round({ optimae: h("c") }),
      round({ optimae: h("d"), status: "claimed" }),
    ];
    const commits = [commit({ id: h("1") }), commit({ id: h("2"), optimizer: OTHER }), commit({ id: h("3"), domain: "other" })];
    const v = dutiesView(state(rounds, commits), ME, DOMAIN);
    expect(v.rounds).toEqual([{ optimae: h("a"), commit: h("2"), status: "accepted" }]);
    expect(v.commits).toEqual([{ id: h("1"), commitment: h("6"), height: 95 }]);
    expect(v.openRounds).toBe(2);
  });
});
