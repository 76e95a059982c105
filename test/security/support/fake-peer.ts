/**
 * A node of the attacker's own, in the test process: an HTTP server on
 * loopback that answers the peer handshake correctly (its key signs the
 * challenge with its URL, the network and the genesis: it is a real peer by
 * every check a node makes) and answers everything else as the test says,
 * recording what it was asked.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { signHandshake } from "../../../core/handshake.ts";
import { publicKeyFromSecret } from "../../../core/keys.ts";

export interface FakePeer {
  readonly url: string;
  readonly key: string;
  /** every request, in order: "GET /chain/status" */
  readonly requests: string[];
  close(): Promise<void>;
}

export type Handler = (path: string, query: URLSearchParams, req: IncomingMessage, res: ServerResponse) => Promise<boolean> | boolean;

/** `handshake: false`: a server that is no node at all (it answers nothing but 404). */
export async function startFakePeer(opts: { secret: Uint8Array; network: string; genesis: string; handshake?: boolean; handle?: Handler }): Promise<FakePeer> {
  const requests: string[] = [];
  let url = "";
  const server = createServer((req, res) => {
    const u = new URL(req.url ?? "/", "http://fake");
    requests.push(`${req.method} ${u.pathname}`);
    void (async () => {
      if (opts.handshake !== false && u.pathname === "/p2p/handshake") {
        const h = signHandshake(opts.secret, { network: opts.network, genesis: opts.genesis, url, challenge: u.searchParams.get("challenge") ?? "", nowMs: Date.now() });
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(h));
        return;
      }
      if (opts.handle !== undefined && (await opts.handle(u.pathname, u.searchParams, req, res))) return;
      req.resume();
      res.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ code: "NOT_FOUND", message: "no" }));
    })().catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    key: publicKeyFromSecret(opts.secret),
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Answers JSON. */
export function json(res: ServerResponse, value: unknown, status = 200): true {
  res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(value));
  return true;
}

/** Proxies a GET to a real node (an honest peer serving the real chain). */
export async function proxy(res: ServerResponse, target: string, pathAndQuery: string): Promise<true> {
  const r = await fetch(`${target}${pathAndQuery}`);
  res.writeHead(r.status, { "content-type": "application/json" }).end(Buffer.from(await r.arrayBuffer()));
  return true;
}
