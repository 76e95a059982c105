/** Blocks: the latest blocks, a block (header, every transaction, the coinbase split), a transaction. */
import type { Context } from "hono";
import type { NodeEnv } from "../../http.ts";
import { blockDetail, listBlocks, roundOfCommit, txDetail, type BlockDetail, type TxDetail } from "../../routes/history.ts";
import type { ExplorerContext, View } from "../context.ts";
import { Account, Badge, coin, Fields, fixed, Full, Hash, href, Json, num, plural, Table, Time } from "../format.tsx";
import { BlocksTable } from "../tables.tsx";
import { indexingView, messageView } from "./message.tsx";

const PAGE = 25;
const HEIGHT = /^(?:0|[1-9][0-9]{0,15})$/;
const HASH = /^[0-9a-f]{64}$/;

export async function blocksView(x: ExplorerContext, c: Context<NodeEnv>): Promise<View> {
  const raw = c.req.query("before");
  if (raw !== undefined && !HEIGHT.test(raw)) return messageView(400, "Blocks", "before= takes a block height.");
  const before = raw === undefined ? undefined : Number(raw);
  const blocks = await listBlocks(x.env.DB, before, PAGE);
  const last = blocks[blocks.length - 1];
  return {
    title: before === undefined ? "Blocks" : `Blocks below ${before}`,
    section: "blocks",
    ...(before === undefined ? { liveMs: 3_000 } : {}),
    body: (
      <>
        <h1>{before === undefined ? "Latest blocks" : `Blocks below height ${before}`}</h1>
        <p class="muted">
          A <Badge kind="work" /> block reached the threshold with verified work and minted coin for its optimizers, evaluators and producer; a{" "}
          <Badge kind="carrier" /> block carries transactions without minting.
        </p>
        <section id="blocks-list" data-live="" class="panel">
          <BlocksTable blocks={blocks} caption={before === undefined ? "The latest blocks" : `Blocks below height ${before}`} self={x.config.nodeAddress} />
        </section>
        <nav class="pager" aria-label="Pages">
          {before === undefined ? null : <a href={href.blocks()}>Newest</a>}
          {last === undefined || last.height === 0 ? null : <a href={href.blocks(last.height)}>Older</a>}
        </nav>
      </>
    ),
  };
}

const TxsTable = ({ block, self }: { block: BlockDetail; self: string }) => (
  <Table
    label="Transactions"
    caption={block.txs.length === 0 ? "No transactions" : `${plural(block.txs.length, "transaction")}, in block order`}
    columns={[num("#"), "Id", "Kind", "Sender", "Recipient", num("Fee"), num("Nonce")]}
  >
    {block.txs.map((t) => (
      <tr>
        <td class="num">{t.idx}</td>
        <td>
          <Hash value={t.id} to={href.tx(t.id)} />
        </td>
        <td>{t.kind}</td>
        <td>
          <Account address={t.sender} self={self} />
        </td>
        <td>{t.recipient === null ? "–" : <Account address={t.recipient} self={self} />}</td>
        <td class="num" data-amount={t.fee}>
          {coin(t.fee)}
        </td>
        <td class="num">{t.nonce}</td>
      </tr>
    ))}
  </Table>
);

const CoinbaseTable = ({ block, self }: { block: BlockDetail; self: string }) => {
  const total = block.coinbase.reduce((a, o) => a + BigInt(o.amount), 0n).toString();
  const caption = block.coinbase.length === 0 ? "No coinbase outputs" : `${plural(block.coinbase.length, "output")}: reward ${coin(block.minted)} plus fees ${coin(block.fees)}`;
  const foot = (
    <tr>
      <td colspan={2}>Total</td>
      <td class="num" id="coinbase-total" data-amount={total}>
        {coin(total)}
      </td>
    </tr>
  );
  return (
    <Table label="Coinbase outputs" id="coinbase" caption={caption} columns={["To", "Role", num("Amount")]} foot={foot}>
      {block.coinbase.map((o) => (
        <tr class="coinbase-output">
          <td>
            <Account address={o.to} self={self} />
          </td>
          <td>{o.role}</td>
          <td class="num" data-amount={o.amount}>
            {coin(o.amount)}
          </td>
        </tr>
      ))}
    </Table>
  );
};

export async function blockView(x: ExplorerContext, c: Context<NodeEnv>): Promise<View> {
  const id = c.req.param("id") ?? "";
  if (!HEIGHT.test(id) && !HASH.test(id)) return messageView(400, "Block", "A block is named by its height or its 64-hex hash.");
  const [block, status] = await Promise.all([blockDetail(x.env.DB, id), x.chain.status()]);
  if (block === null) {
    const onChain = HEIGHT.test(id) ? Number(id) <= status.height : (await x.chain.getBlockByHash(id)) !== null;
    return onChain ? indexingView(`Block ${id}`) : messageView(404, "Block not found", `This node knows no block ${id}.`);
  }
  const self = x.config.nodeAddress;
  const final = block.canonical && block.height <= status.finalizedHeight;
  return {
    title: `Block ${block.height}`,
    section: "blocks",
    kind: "block",
    // a block deep enough is final: nothing on its page changes any more
    ...(final ? {} : { liveMs: 3_000 }),
    body: (
      <>
        <h1>
          Block {block.height} <Badge kind={block.kind} />
          {block.canonical ? null : <Badge kind="bad">not on the head chain</Badge>}
        </h1>
        <section class="panel" id="block-facts" data-live="">
          <dl class="facts">
            <dt>Hash</dt>
            <dd>
              <Full value={block.hash} />
            </dd>
            <dt>Parent</dt>
            <dd>{block.height === 0 ? "–" : <Hash value={block.parent} to={href.block(block.parent)} chars={16} />}</dd>
            <dt>Time</dt>
            <dd>
              <Time ms={block.timestamp} />
            </dd>
            <dt>Producer</dt>
            <dd>
              <Account address={block.producer} self={self} />
            </dd>
            <dt>Status</dt>
            <dd id="block-status">
              {!block.canonical ? "reverted by a reorganization" : final ? `final (${block.confirmations} confirmations)` : `${block.confirmations} confirmations, final at ${x.config.params.finalityDepth} below the tip`}
            </dd>
            <dt>Work</dt>
            <dd>
              {fixed(block.work)} <span class="muted">(threshold {fixed(block.threshold)}, cumulative {fixed(block.cumulativeWork)})</span>
            </dd>
            <dt>Reward (minted)</dt>
            <dd id="block-minted" data-amount={block.minted}>
              {coin(block.minted)}
            </dd>
            <dt>Fees</dt>
            <dd id="block-fees" data-amount={block.fees}>
              {coin(block.fees)}
            </dd>
            <dt>Supply after</dt>
            <dd>{coin(block.supply)}</dd>
            <dt>State root</dt>
            <dd>
              <Full value={String(block.header["stateRoot"] ?? "")} />
            </dd>
          </dl>
        </section>
        <nav class="pager" aria-label="Neighbours">
          {block.height === 0 ? null : <a href={href.block(block.height - 1)}>Previous block</a>}
          {block.height < status.height ? <a href={href.block(block.height + 1)}>Next block</a> : null}
        </nav>
        <section class="panel">
          <h2 id="txs-h">Transactions</h2>
          <TxsTable block={block} self={self} />
        </section>
        <section class="panel">
          <h2 id="coinbase-h">Coinbase</h2>
          <p class="muted">The coinbase pays exactly the reward plus the fees: to optimizers, evaluators and the producer in a work block, to the producer in a carrier block.</p>
          <CoinbaseTable block={block} self={self} />
        </section>
        <section class="panel">
          <h2 id="header-h">Header</h2>
          <Fields label="Header fields" caption="Header, every field as signed" value={block.header} />
          <p class="muted">
            Producer signature: <code class="wrap">{block.sig}</code>
          </p>
        </section>
      </>
    ),
  };
}

/** What a transaction's body says, by kind, with links to what it touches. */
async function bodyFacts(x: ExplorerContext, t: { kind: string; id: string; tx: unknown }) {
  const body = ((t.tx as { body?: Record<string, unknown> } | null)?.body ?? {}) as Record<string, unknown>;
  const s = (k: string): string => String(body[k] ?? "");
  const self = x.config.nodeAddress;
  switch (t.kind) {
    case "transfer":
      return (
        <>
          <dt>To</dt>
          <dd>
            <Account address={s("to")} self={self} />
          </dd>
          <dt>Amount</dt>
          <dd>{coin(s("amount"))}</dd>
        </>
      );
    case "commit": {
      const round = await roundOfCommit(x.env.DB, t.id);
      return (
        <>
          <dt>Domain</dt>
          <dd>
            <a href={href.domain(s("domain"))}>{s("domain")}</a>
          </dd>
          <dt>Commitment</dt>
          <dd>
            <Full value={s("commitment")} />
          </dd>
          <dt>Round</dt>
          <dd>{round === null ? "not revealed (yet)" : <Hash value={round} to={href.round(round)} />}</dd>
        </>
      );
    }
    case "reveal":
      return (
        <>
          <dt>Round</dt>
          <dd>
            <Hash value={t.id} to={href.round(t.id)} />
          </dd>
          <dt>Commit</dt>
          <dd>
            <Hash value={s("commit")} to={href.tx(s("commit"))} />
          </dd>
          <dt>Claimed</dt>
          <dd>{fixed(s("reported"))}</dd>
        </>
      );
    case "vote":
      return (
        <>
          <dt>Round</dt>
          <dd>
            <Hash value={s("optimae")} to={href.round(s("optimae"))} />
          </dd>
          <dt>Performance</dt>
          <dd>{fixed(s("performance"))}</dd>
          <dt>Data hash</dt>
          <dd>
            <Full value={s("dataHash")} />
          </dd>
        </>
      );
    case "accept":
      return (
        <>
          <dt>Round</dt>
          <dd>
            <Hash value={s("optimae")} to={href.round(s("optimae"))} />
          </dd>
          <dt>Experiment</dt>
          <dd>
            <a href={href.experiment(s("experimentId"))}>{s("experimentId")}</a> round {s("roundNumber")}
          </dd>
        </>
      );
    default:
      return null;
  }
}

const IncludedFacts = ({ t, self, finalized }: { t: TxDetail; self: string; finalized: number }) => (
  <>
    <dt>Status</dt>
    <dd id="tx-status">
      {t.canonical ? (
        <>
          <Badge kind={t.height <= finalized ? "ok" : "pending"}>{t.height <= finalized ? "final" : "included"}</Badge> in block{" "}
          <a href={href.block(t.height)}>{t.height}</a> at position {t.idx}
        </>
      ) : (
        <Badge kind="bad">in a reverted block</Badge>
      )}
    </dd>
    <dt>Block</dt>
    <dd>
      <Hash value={t.block} to={href.block(t.block)} chars={16} />
    </dd>
    <dt>Sender</dt>
    <dd>
      <Account address={t.sender} self={self} />
    </dd>
    <dt>Nonce</dt>
    <dd>{t.nonce}</dd>
    <dt>Fee</dt>
    <dd>{coin(t.fee)}</dd>
  </>
);

export async function txView(x: ExplorerContext, c: Context<NodeEnv>): Promise<View> {
  const id = c.req.param("id") ?? "";
  if (!HASH.test(id)) return messageView(400, "Transaction", "A transaction is named by its 64-hex id.");
  const [t, status] = await Promise.all([txDetail(x.env.DB, id), x.chain.status()]);
  let facts;
  let wire: unknown;
  let kind: string;
  if (t !== null) {
    kind = t.kind;
    wire = t.tx;
    facts = <IncludedFacts t={t} self={x.config.nodeAddress} finalized={status.finalizedHeight} />;
  } else {
    const pending = await x.mempool.get(id);
    if (pending.ok) {
      wire = JSON.parse(pending.value.wire) as unknown;
      kind = pending.value.kind;
      facts = (
        <>
          <dt>Status</dt>
          <dd id="tx-status">
            <Badge kind="pending">pending</Badge> in the mempool
          </dd>
          <dt>Fee</dt>
          <dd>{coin(pending.value.fee)}</dd>
        </>
      );
    } else {
      if ((await x.chain.txLocation(id)) !== null) return indexingView(`Transaction ${id}`);
      const dropped = await x.mempool.dropped(id);
      if (dropped === null) return messageView(404, "Transaction not found", `This node knows no transaction ${id}.`);
      return messageView(404, "Transaction dropped", `Transaction ${id} left the mempool: ${dropped.code} (${dropped.message}).`);
    }
  }
  return {
    title: `Transaction ${id.slice(0, 10)}…`,
    section: "blocks",
    kind: "tx",
    ...(t === null || !t.canonical || t.height > status.finalizedHeight ? { liveMs: 3_000 } : {}),
    body: (
      <>
        <h1>
          {kind} transaction
        </h1>
        <section class="panel" id="tx-facts" data-live="">
          <dl class="facts">
            <dt>Id</dt>
            <dd>
              <Full value={id} />
            </dd>
            {facts}
            {await bodyFacts(x, { kind, id, tx: wire })}
          </dl>
        </section>
        <section class="panel">
          <h2 id="wire-h">As signed</h2>
          <Json value={wire} />
        </section>
      </>
    ),
  };
}
