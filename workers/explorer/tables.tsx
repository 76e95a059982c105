/** Tables more than one view shows: blocks and rounds. */
import type { BlockSummary, RoundSummary } from "../routes/history.ts";
import { Account, Age, Badge, coin, fixed, Hash, href, num, Table } from "./format.tsx";

export const BlocksTable = ({ blocks, caption, self }: { blocks: readonly BlockSummary[]; caption: string; self: string }) => (
  <Table label={caption} caption={caption} columns={["Height", "Age", "Kind", "Producer", num("Txs"), num("Work"), num("Minted"), "Hash"]}>
    {blocks.map((b) => (
      <tr>
        <td>
          <a href={href.block(b.height)}>{b.height}</a>
        </td>
        <td>
          <Age ms={b.timestamp} />
        </td>
        <td>
          <Badge kind={b.kind} />
        </td>
        <td>
          <Account address={b.producer} self={self} />
        </td>
        <td class="num">{b.txCount}</td>
        <td class="num">{fixed(b.work)}</td>
        <td class="num">{coin(b.minted)}</td>
        <td>
          <Hash value={b.hash} to={href.block(b.hash)} />
        </td>
      </tr>
    ))}
  </Table>
);

/** Votes of a round as "votes / quorum (required)". */
export const votesText = (r: RoundSummary): string => `${r.votes} / ${r.quorumSize}${r.required === null ? "" : ` (needs ${r.required})`}`;

export const RoundsTable = ({ rounds, caption, height, self }: { rounds: readonly RoundSummary[]; caption: string; height: number; self: string }) => (
  <Table label={caption} caption={caption} columns={["Optimae", "Domain", "Optimizer", "Status", num("Claimed"), num("Verified"), "Votes", "Revealed", "Deadline"]}>
    {rounds.map((r) => (
      <tr>
        <td>
          <Hash value={r.optimae} to={href.round(r.optimae)} />
        </td>
        <td>
          <a href={href.domain(r.domain)}>{r.domain}</a>
        </td>
        <td>
          <Account address={r.optimizer} self={self} />
        </td>
        <td>
          <Badge kind={r.status} />
        </td>
        <td class="num">{fixed(r.reported)}</td>
        <td class="num">{r.verified === null ? "–" : fixed(r.verified)}</td>
        <td>{votesText(r)}</td>
        <td>
          <a href={href.block(r.revealHeight)}>{r.revealHeight}</a>
        </td>
        <td>{r.status === "voting" ? `${r.deadline} (in ${Math.max(0, r.deadline - height)} blocks)` : r.deadline}</td>
      </tr>
    ))}
  </Table>
);
