import { DurableObject } from "cloudflare:workers";
/** Peers, their scores, the seen-set of flooded messages, and sync. */
export class NetworkDO extends DurableObject<Env> {}
