/**
 * An account: balance and reputation now and over height, its proof against
 * the finalized block's state root (what to check it with, without trusting
 * this node), its transactions, its rounds as optimizer, its votes as
 * evaluator.
 */
import type { Context } from "hono";
import type { AccountProofView, Outcome } from "../../../durable-objects/rpc.ts";
import type { NodeEnv } from "../../http.ts";
import { accountStates, accountTransactions, accountVotes, listRounds } from "../../routes/history.ts";
import { Chart } from "../chart.tsx";
import type { ExplorerContext, View } from "../context.ts";
import { Account, Badge, coin, fixed, fixedNumber, Full, Hash, href, num, Table } from "../format.tsx";
import { RoundsTable } from "../tables.tsx";
import { messageView } from "./message.tsx";

export async function accountView(x: ExplorerContext, c: Context<NodeEnv>): Promise<View> {
  const address = c.req.param("address") ?? "";
  if (!/^[0-9a-f]{40}$/.test(address)) return messageView(400, "Account", "An account is named by its 40-hex address.");
  const [now, proven, status, states, txs, rounds, votes] = await Promise.all([
    x.chain.account(address),
    x.chain.accountProof(address),
    x.chain.status(),
    accountStates(x.env.DB, address, 2_000),
    accountTransactions(x.env.DB, address, undefined, 50),
    listRounds(x.env.DB, { optimizer: address }, 50),
    accountVotes(x.env.DB, address, 50),
  ]);
  const self = x.config.nodeAddress;
  const key = `acct-${address.slice(0, 8)}`;
  return {
    title: `Account ${address.slice(0, 10)}…`,
    section: "none",
    kind: "account",
    liveMs: 5_000,
    charts: true,
    body: (
      <>
        <h1>
          Account <Hash value={address} chars={12} />
          {address === self ? <span class="muted"> (this node)</span> : null}
        </h1>
        <section class="panel" id="account-facts" data-live="">
          <dl class="facts">
            <dt>Address</dt>
            <dd>
              <Full value={address} />
            </dd>
            <dt>Balance</dt>
            <dd id="account-balance">{coin(now.balance)}</dd>
            <dt>Reputation</dt>
            <dd id="account-reputation">
              {fixed(now.reputation)} <span class="muted">(at height {status.height}; evaluators need {fixed(x.config.params.reputation.minForEvaluator.toString())})</span>
            </dd>
            <dt>Nonce</dt>
            <dd>{now.nonce}</dd>
          </dl>
        </section>
        <ProofPanel address={address} answer={proven} />
        <div class="columns">
          <Chart
            spec={{
              id: `${key}-reputation`,
              title: "Reputation over height",
              xLabel: "height",
              yLabel: "reputation",
              x: states.map((s) => s.height),
              series: [{ label: "reputation", values: states.map((s) => fixedNumber(s.reputation)), step: true, points: true }],
            }}
            note="After each block that changed it, decayed to that block."
          />
          <Chart
            spec={{
              id: `${key}-balance`,
              title: "Balance over height (DOIN)",
              xLabel: "height",
              yLabel: "DOIN",
              x: states.map((s) => s.height),
              series: [{ label: "balance", values: states.map((s) => Number(s.balance) / 1e8), step: true }],
            }}
          />
        </div>
        <section class="panel" id="account-txs" data-live="">
          <h2 id="txs-h">Transactions</h2>
          {txs.length === 0 ? (
            <p class="muted">No transactions.</p>
          ) : (
            <Table label="Transactions" caption="Sent or received, newest first" columns={["Height", "Id", "Kind", "From / to", num("Amount"), num("Fee"), "Round"]}>
              {txs.map((t) => (
                <tr>
                  <td>
                    <a href={href.block(t.height)}>{t.height}</a>
                  </td>
                  <td>
                    <Hash value={t.id} to={href.tx(t.id)} />
                  </td>
                  <td>{t.kind}</td>
                  <td>
                    {t.sender === address ? (
                      t.recipient === null ? (
                        "–"
                      ) : (
                        <>
                          to <Account address={t.recipient} self={self} />
                        </>
                      )
                    ) : (
                      <>
                        from <Account address={t.sender} self={self} />
                      </>
                    )}
                  </td>
                  <td class="num">{t.amount === null ? "–" : `${t.sender === address ? "−" : "+"}${coin(t.amount)}`}</td>
                  <td class="num">{t.sender === address ? coin(t.fee) : "–"}</td>
                  <td>{t.optimae === null ? "–" : <Hash value={t.optimae} to={href.round(t.optimae)} />}</td>
                </tr>
              ))}
            </Table>
          )}
        </section>
        <section class="panel" id="account-rounds" data-live="">
          <h2 id="rounds-h">Rounds as optimizer</h2>
          {rounds.length === 0 ? <p class="muted">None.</p> : <RoundsTable rounds={rounds} caption="Newest first" height={status.height} self={self} />}
        </section>
        <section class="panel" id="account-votes" data-live="">
          <h2 id="votes-h">Votes as evaluator</h2>
          {votes.length === 0 ? (
            <p class="muted">None.</p>
          ) : (
            <Table label="Votes" caption="Newest first" columns={["Height", "Round", "Domain", num("Measured"), "Round status", "Verdict"]}>
              {votes.map((v) => (
                <tr>
                  <td>
                    <a href={href.tx(v.tx.id)}>{v.tx.height}</a>
                  </td>
                  <td>
                    <Hash value={v.optimae} to={href.round(v.optimae)} />
                  </td>
                  <td>{v.domain ?? "–"}</td>
                  <td class="num">{fixed(v.performance)}</td>
                  <td>{v.roundStatus === null ? "–" : <Badge kind={v.roundStatus} />}</td>
                  <td>{v.verdict === null ? "–" : <Badge kind={v.verdict} />}</td>
                </tr>
              ))}
            </Table>
          )}
        </section>
      </>
    ),
  };
}

/**
 * The account (or its absence) at the finalized block, with what its proof
 * is: a reader who trusts that block's hash (compared with another node, or
 * a checkpoint) checks the rest with `doin balance --prove`, which verifies
 * the proof itself (core/state-proof.ts).
 */
function ProofPanel({ address, answer }: { address: string; answer: Outcome<AccountProofView> }) {
  if (!answer.ok) {
    return (
      <section class="panel" id="account-proof">
        <h2>Proof</h2>
        <p class="muted">No proof: {answer.message}</p>
      </section>
    );
  }
  const { proof, balance } = answer.value;
  const header = proof.header as { stateRoot?: unknown };
  const stateRoot = typeof header.stateRoot === "string" ? header.stateRoot : "";
  return (
    <section class="panel" id="account-proof" data-live="">
      <h2>Proof</h2>
      <dl class="facts">
        <dt>At block</dt>
        <dd>
          <a href={href.block(proof.height)} id="proof-height">
            {proof.height}
          </a>{" "}
          {proof.finalized ? <Badge kind="ok">final</Badge> : null} <Full value={proof.block} />
        </dd>
        <dt>State root</dt>
        <dd>
          <Full value={stateRoot} />
        </dd>
        <dt>Proves</dt>
        <dd id="proof-kind" data-amount={proof.account === null ? undefined : balance}>
          {proof.account === null ? "that no such account exists" : `a balance of ${coin(balance)}`} · {proof.siblings.length} sibling hash{proof.siblings.length === 1 ? "" : "es"} on its path
        </dd>
        <dt>Check it</dt>
        <dd>
          <code>
            doin balance {address} --prove --block {proof.block}
          </code>{" "}
          checks it against that block&apos;s header, trusting only its hash (<a href={`/chain/account/${address}?proof=1&height=${proof.height}`}>the proof as JSON</a>)
        </dd>
      </dl>
    </section>
  );
}
