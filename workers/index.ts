import { Hono } from "hono";
import { PROTOCOL_VERSION } from "../core/params.ts";

const app = new Hono<{ Bindings: Env }>();

app.get("/health", (c) =>
  c.json({ ok: true, network: c.env.NETWORK_ID, protocol: PROTOCOL_VERSION }),
);

export default app;
