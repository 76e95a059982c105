import { DurableObject } from "cloudflare:workers";
/** One per domain: this node's part in commit → reveal → quorum → votes → verdict. */
export class QuorumDO extends DurableObject<Env> {}
