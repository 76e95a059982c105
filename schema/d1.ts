/**
 * The D1 database: a queryable projection of the chain, written only by the
 * ChainDO through its outbox (durable-objects/outbox.ts → d1-writer.ts).
 * Nothing here is consensus: the ChainDO's own storage is the source of
 * truth, and every row can be rebuilt from the chain.
 *
 * Conventions:
 * - Fixed-point reals (micro-units, 10^6) and coin amounts (base units,
 *   10^8) are bigints, stored exactly as decimal TEXT. A `*_real` REAL
 *   column sits beside the ones worth sorting or charting (value / 10^6,
 *   computed from the text; never read by consensus).
 * - Timestamps are milliseconds since the Unix epoch (the block's).
 * - `canonical` is 1 while the row's block is on the head chain, 0 once a
 *   reorg reverted it; every statistic reads canonical rows only.
 *
 * Migrations are generated from this file by drizzle-kit
 * (`npx drizzle-kit generate`, config in drizzle.config.ts) into
 * schema/migrations, which both `wrangler d1 migrations apply DB` and the
 * Workers tests apply.
 */
import { index, integer, primaryKey, real, sqliteTable, text } from "drizzle-orm/sqlite-core";

/** Every block the node applied to its head chain (reverted ones stay, with canonical = 0). */
export const blocks = sqliteTable(
  "blocks",
  {
    hash: text("hash").primaryKey(),
    height: integer("height").notNull(),
    parent: text("parent").notNull(),
    timestamp: integer("timestamp").notNull(),
    /** the producer's address (genesis: the address of the all-zero key) */
    producer: text("producer").notNull(),
    txCount: integer("tx_count").notNull(),
    /** Fixed: verified work this block carries */
    work: text("work").notNull(),
    workReal: real("work_real").notNull(),
    /** Fixed: cumulative work from genesis through this block */
    cumulativeWork: text("cumulative_work").notNull(),
    cumulativeWorkReal: real("cumulative_work_real").notNull(),
    /** Fixed: the threshold in force for this block */
    threshold: text("threshold").notNull(),
    thresholdReal: real("threshold_real").notNull(),
    /** Amount: coin supply after this block */
    supply: text("supply").notNull(),
    stateRoot: text("state_root").notNull(),
    canonical: integer("canonical").notNull().default(1),
    /** the block's wire JSON (docs/PROTOCOL.md §5), or its header, coinbase and tx ids when the whole block would not fit a D1 row */
    body: text("body").notNull(),
  },
  (t) => [index("blocks_height").on(t.height), index("blocks_canonical_height").on(t.canonical, t.height)],
);

/**
 * Transactions of projected blocks; a transaction re-included by a reorg moves to its new block.
 * Read by workers/routes/history.ts: a block's, an account's, a round's transactions, /history/tx, search.
 */
export const transactions = sqliteTable(
  "transactions",
  {
    id: text("id").primaryKey(),
    blockHash: text("block_hash").notNull(),
    height: integer("height").notNull(),
    /** position in the block */
    idx: integer("idx").notNull(),
    kind: text("kind").notNull(),
    /** the sender's address */
    sender: text("sender").notNull(),
    /** a transfer's recipient (null for other kinds) */
    recipient: text("recipient"),
    nonce: integer("nonce").notNull(),
    /** Amount */
    fee: text("fee").notNull(),
    canonical: integer("canonical").notNull().default(1),
    /** the transaction's wire JSON */
    body: text("body").notNull(),
  },
  (t) => [
    index("transactions_block").on(t.blockHash),
    index("transactions_kind").on(t.kind),
    index("transactions_sender").on(t.sender),
    index("transactions_recipient").on(t.recipient),
    index("transactions_height").on(t.height),
  ],
);

/**
 * One row per accepted optimae (an `accept` transaction): the experiment's
 * metadata from the transaction, the quorum's verdict, and the work it added.
 */
export const experiments = sqliteTable(
  "experiments",
  {
    /** the optimae id (its reveal transaction) */
    optimae: text("optimae").primaryKey(),
    experimentId: text("experiment_id").notNull(),
    roundNumber: integer("round_number").notNull(),
    timeToResultSeconds: integer("time_to_result_seconds").notNull(),
    optimizationConfigHash: text("optimization_config_hash").notNull(),
    dataHash: text("data_hash").notNull(),
    domain: text("domain").notNull(),
    /** the optimizer's address */
    optimizer: text("optimizer").notNull(),
    /** Fixed: the optimizer's claim */
    reported: text("reported").notNull(),
    reportedReal: real("reported_real").notNull(),
    /** Fixed: the quorum's verified performance (the domain's new champion) */
    verified: text("verified").notNull(),
    verifiedReal: real("verified_real").notNull(),
    /** Fixed: the champion it beat */
    previousBest: text("previous_best").notNull(),
    previousBestReal: real("previous_best_real").notNull(),
    /** Fixed: effective increment (the work it added to cumulative work) */
    increment: text("increment").notNull(),
    incrementReal: real("increment_real").notNull(),
    /** the accept transaction */
    acceptTx: text("accept_tx").notNull(),
    height: integer("height").notNull(),
    /** position of the accept transaction in its block */
    txIdx: integer("tx_idx").notNull(),
    timestamp: integer("timestamp").notNull(),
    blockHash: text("block_hash").notNull(),
    canonical: integer("canonical").notNull().default(1),
  },
  (t) => [
    index("experiments_experiment").on(t.experimentId),
    index("experiments_domain").on(t.domain, t.canonical, t.height),
    index("experiments_chain_order").on(t.canonical, t.height, t.txIdx),
    index("experiments_block").on(t.blockHash),
  ],
);

/**
 * The head chain's rounds as their status changes (a live view: a row is
 * upserted by the block that changed it, and deleted if that block is
 * reverted). Read by workers/routes/history.ts: /history/rounds, a round's
 * story, the round of an account's commits and votes.
 */
export const rounds = sqliteTable(
  "rounds",
  {
    optimae: text("optimae").primaryKey(),
    domain: text("domain").notNull(),
    optimizer: text("optimizer").notNull(),
    /** voting | accepted | rejected | expired | claimed */
    status: text("status").notNull(),
    reported: text("reported").notNull(),
    reportedReal: real("reported_real").notNull(),
    verified: text("verified"),
    verifiedReal: real("verified_real"),
    /** JSON array of the selected evaluators' addresses, in selection order */
    quorum: text("quorum").notNull(),
    votes: integer("votes").notNull(),
    agreeing: integer("agreeing").notNull(),
    revealHeight: integer("reveal_height").notNull(),
    deadline: integer("deadline").notNull(),
    updatedHeight: integer("updated_height").notNull(),
    updatedBlock: text("updated_block").notNull(),
    // The round's whole story for explorers (null in rows written before these columns existed):
    /** the commit transaction */
    commit: text("commit"),
    /** the block that included the commit (it seeds the quorum) */
    beacon: text("beacon"),
    /** JSON array, in selection order: {evaluator, seed, seed32}, each evaluator's data seed from core */
    seeds: text("seeds"),
    /** JSON array of the votes counted, in chain order: {evaluator, performance, dataHash} */
    voteList: text("vote_list"),
    /** votes the round needs to be decided */
    required: integer("required"),
    /** JSON, once decided by votes: core's verdict {accepted, median, tolerance, verified, agreeing, outliers} */
    verdict: text("verdict"),
  },
  (t) => [
    index("rounds_status").on(t.status),
    index("rounds_domain").on(t.domain),
    index("rounds_updated_block").on(t.updatedBlock),
    index("rounds_optimizer").on(t.optimizer),
    index("rounds_reveal_height").on(t.revealHeight),
    index("rounds_commit").on(t.commit),
  ],
);

/**
 * An account after each block that changed it (balance, nonce or
 * reputation): its history for explorers. Reputation is decayed to the
 * block, as the chain reads it there.
 */
export const accountHistory = sqliteTable(
  "account_history",
  {
    address: text("address").notNull(),
    height: integer("height").notNull(),
    blockHash: text("block_hash").notNull(),
    timestamp: integer("timestamp").notNull(),
    /** Amount */
    balance: text("balance").notNull(),
    nonce: integer("nonce").notNull(),
    /** Fixed: reputation decayed to this block */
    reputation: text("reputation").notNull(),
    reputationReal: real("reputation_real").notNull(),
  },
  (t) => [primaryKey({ columns: [t.address, t.height] }), index("account_history_block").on(t.blockHash)],
);

/** Per domain and block: the champion, and the chain's threshold, work and supply after the block. */
export const chainMetrics = sqliteTable(
  "chain_metrics",
  {
    domain: text("domain").notNull(),
    height: integer("height").notNull(),
    blockHash: text("block_hash").notNull(),
    timestamp: integer("timestamp").notNull(),
    /** Fixed: the domain's champion performance after the block */
    champion: text("champion").notNull(),
    championReal: real("champion_real").notNull(),
    /** the champion optimae (null: the domain's initial champion) */
    championOptimae: text("champion_optimae"),
    /** Fixed: the threshold in force for the block */
    threshold: text("threshold").notNull(),
    /** Fixed: the block's work (all domains) */
    work: text("work").notNull(),
    /** Fixed: the part of the block's work from this domain's accepted optimae */
    domainWork: text("domain_work").notNull(),
    cumulativeWork: text("cumulative_work").notNull(),
    cumulativeWorkReal: real("cumulative_work_real").notNull(),
    /** Amount: coin supply after the block */
    supply: text("supply").notNull(),
    /** accepted optimae of this domain in the block */
    accepted: integer("accepted").notNull(),
  },
  (t) => [primaryKey({ columns: [t.domain, t.height] }), index("chain_metrics_block").on(t.blockHash)],
);
