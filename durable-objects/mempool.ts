import { DurableObject } from "cloudflare:workers";
/** Pending transactions, bounded and priced by fee; assembles blocks. */
export class MempoolDO extends DurableObject<Env> {}
