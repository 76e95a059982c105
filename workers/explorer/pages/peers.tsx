/** Peers: what this node knows of the others (score, last seen, bans, last error). */
import type { ExplorerContext, View } from "../context.ts";
import { Age, Badge, Hash, num, Table, utc } from "../format.tsx";

export async function peersView(x: ExplorerContext): Promise<View> {
  const peers = await x.network.peers();
  const now = Date.now();
  return {
    title: "Peers",
    section: "peers",
    liveMs: 5_000,
    body: (
      <>
        <h1>Peers</h1>
        <p class="muted">
          A peer's score rises with good messages and falls with bad ones; a peer that misbehaves is banned for a while. Bootstrap peers:{" "}
          {x.config.bootstrapPeers.length === 0 ? "none" : x.config.bootstrapPeers.join(", ")}.
        </p>
        <section class="panel" id="peers-list" data-live="">
          {peers.length === 0 ? (
            <p class="muted">No peer known yet.</p>
          ) : (
            <Table
              label="Peers"
              caption={<>{peers.length} peers, best score first</>}
              columns={["Peer", "Public key", num("Score"), "Last seen", "State", "Last error", "Learned from"]}
            >
              {peers.map((p) => {
                const banned = p.bannedUntil !== null && p.bannedUntil > now;
                return (
                  <tr>
                    <td>
                      <a href={`${p.url}/`}>{p.url}</a>
                    </td>
                    <td>{p.publicKey === null ? "–" : <Hash value={p.publicKey} />}</td>
                    <td class="num">{p.score.toFixed(2)}</td>
                    <td>{p.lastSeen === null ? "never" : <Age ms={p.lastSeen} />}</td>
                    <td>{banned ? <Badge kind="banned">banned until {utc(p.bannedUntil as number)}</Badge> : <Badge kind="ok">ok</Badge>}</td>
                    <td class="wrap">{p.lastError ?? "–"}</td>
                    <td>{p.source}</td>
                  </tr>
                );
              })}
            </Table>
          )}
        </section>
      </>
    ),
  };
}
