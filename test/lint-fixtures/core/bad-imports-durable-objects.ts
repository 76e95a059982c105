import { MAX_BLOCKS_PER_REQUEST } from "../durable-objects/chain.ts";
export const limit = MAX_BLOCKS_PER_REQUEST;
