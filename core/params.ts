/**
 * Chain parameters. Every core function takes them explicitly; a node picks a
 * preset by its network id. Constants are the reference's (doin-core) unless
 * a comment says why not; docs/PROTOCOL.md lists each one.
 */
import { addressFromPublicKey } from "./keys.ts";
import type { ChainParams, DomainConfig, PublicKeyHex } from "./types.ts";

export const PROTOCOL_VERSION = 1;

/** 1.0 in Fixed (micro-units). */
export const FIXED_ONE = 1_000_000n;
/** 1 DOIN in base units. */
export const COIN_UNIT = 100_000_000n;

/** The quadratic reference domain (reference plugins/quadratic_*): neg SSE over 10 parameters, higher is better. */
export const QUADRATIC_DOMAIN: DomainConfig = {
  id: "quadratic",
  higherIsBetter: true,
  // An improvement must be worth at least 0.01 of SSE after verification.
  epsilon: 10_000n,
  // Opening a round makes a quorum of evaluators work; a failed claim pays them
  // for it (docs/PROTOCOL.md §4: why 1 DOIN).
  bond: COIN_UNIT,
  weight: FIXED_ONE,
  // Evaluators score on their own noisy synthetic targets (σ = 0.1 per
  // coordinate), so an absolute floor keeps honest claims near the optimum
  // from being rejected (reference W-C10).
  toleranceAbs: 2n * FIXED_ONE,
  toleranceRelPpm: 50_000,
  // Two thirds (the reference used 0.67, under which 2 of 3 agreeing fails:
  // a single dishonest evaluator could veto every optimae in a quorum of 3).
  quorumFractionPpm: 666_666,
  // Worse than any random start (expected ≈ −417): the first verified result improves on it.
  initialChampion: -1_000n * FIXED_ONE,
  maxParamsBytes: 4_096,
  incentive: {
    toleranceMarginPpm: 100_000,
    bonusThresholdPpm: 50_000,
    minRewardFractionPpm: 300_000,
    maxBonusPpm: 1_200_000,
  },
};

/** Long-lived network: the reference's constants (600 s blocks, one-week reputation half-life). */
export function mainnetParams(network = "doin-mainnet"): ChainParams {
  return {
    network,
    genesisTimestamp: Date.UTC(2026, 10, 1),
    targetBlockTimeMs: 600_000,
    carrierIntervalMs: 60_000,
    maxFutureDriftMs: 15_000,
    epochLength: 100,
    maxEpochAdjustment: 4,
    emaAlphaPpm: 100_000,
    perBlockLimitPpm: 20_000,
    initialThreshold: FIXED_ONE,
    minThreshold: 1n,
    maxThreshold: 1_000_000_000n * FIXED_ONE,
    initialReward: 50n * COIN_UNIT,
    halvingInterval: 210_000,
    maxSupply: 21_000_000n * COIN_UNIT,
    producerSharePpm: 50_000,
    optimizerSharePpm: 650_000,
    evaluatorSharePpm: 300_000,
    reputation: {
      acceptReward: FIXED_ONE,
      rejectPenalty: 3n * FIXED_ONE,
      evaluationAgreeReward: 400_000n,
      evaluationDivergePenalty: 2n * FIXED_ONE,
      // as much as a divergent vote: otherwise blocking a claim by silence is free
      missedVotePenalty: 2n * FIXED_ONE,
      // one week of block time, the reference's half-life: independent of how many carrier blocks come
      halfLifeMs: 7 * 24 * 3_600_000,
      minForEvaluator: 2n * FIXED_ONE,
    },
    // a quorum of at least 10 where that many can evaluate (docs/SECURITY.md: capture at 20 % ≤ 6.5e-4)
    quorum: { minSize: 10, maxSize: 15 },
    finalityDepth: 6,
    anchorInterval: 100,
    // 200 as the reference's max_block_size; with 8 KiB transactions a block stays under
    // Durable Object storage's 2 MB value limit.
    maxTxsPerBlock: 200,
    maxTxBytes: 8_192,
    // The quorum seed is the beacon 4 blocks after the commit: four producers' VRF
    // outputs the committer cannot know when it commits (docs/PROTOCOL.md §4).
    seedDelayBlocks: 4,
    // In turn first, then the next in the schedule a quarter of a carrier interval later.
    producerSlotMs: 15_000,
    maxOpenRoundsPerAccount: 4,
    // Reveals carry model weights (a domain's maxParamsBytes, up to 64 KiB):
    // a block stays ≤ 1 MiB of transactions, well under Durable Object
    // storage's 2 MB value and the 4 MiB peer message (PROTOCOL.md §5).
    maxBlockTxBytes: 1_048_576,
    revealWindowBlocks: 100,
    voteWindowBlocks: 50,
    domains: [QUADRATIC_DOMAIN],
    genesisAccounts: [],
  };
}

/**
 * Development network: fast blocks and short windows so a local testnet
 * produces blocks within seconds. Same rules, other numbers.
 */
export function devnetParams(overrides: Partial<ChainParams> = {}): ChainParams {
  return {
    ...mainnetParams("doin-devnet"),
    genesisTimestamp: Date.UTC(2026, 10, 1),
    targetBlockTimeMs: 10_000,
    carrierIntervalMs: 2_000,
    producerSlotMs: 500,
    revealWindowBlocks: 30,
    voteWindowBlocks: 20,
    ...overrides,
  };
}

/**
 * Chain parameters for a network id: genesis validators get reputation and
 * coin to start the network; `domains` are declared beside the built-in
 * quadratic one (the DOMAINS setting, see core/domain-config.ts);
 * `genesisTime` (GENESIS_TIME) is when the network starts: reputation decays
 * with block time from there, so a network's genesis is its creation time.
 */
export function paramsFor(networkId: string, genesisValidators: readonly PublicKeyHex[], domains: readonly DomainConfig[] = [], genesisTime?: number): ChainParams {
  const genesisAccounts = genesisValidators.map((pub) => ({
    address: addressFromPublicKey(pub),
    balance: 1_000n * COIN_UNIT,
    reputation: 5n * FIXED_ONE,
  }));
  const base = networkId === "doin-mainnet" ? mainnetParams(networkId) : devnetParams({ network: networkId });
  return { ...base, ...(genesisTime === undefined ? {} : { genesisTimestamp: genesisTime }), genesisAccounts, domains: [...base.domains, ...domains] };
}
