import { DurableObject } from "cloudflare:workers";
/** The chain: tip, blocks, fork choice, finality; applies blocks with core/. */
export class ChainDO extends DurableObject<Env> {}
