/** Peers: what this node knows of the others (score, last seen, bans, last error). */
import type { ExplorerContext, View } from "../context.ts";
import { Age, Badge, Hash, Scroll, utc } from "../format.tsx";

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
            <Scroll label="Peers">
              <table>
                <caption>{peers.length} peers, best score first</caption>
                <thead>
                  <tr>
                    <th scope="col">Peer</th>
                    <th scope="col">Public key</th>
                    <th scope="col" class="num">
                      Score
                    </th>
                    <th scope="col">Last seen</th>
                    <th scope="col">State</th>
                    <th scope="col">Last error</th>
                    <th scope="col">Learned from</th>
                  </tr>
                </thead>
                <tbody>
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
                </tbody>
              </table>
            </Scroll>
          )}
        </section>
      </>
    ),
  };
}
