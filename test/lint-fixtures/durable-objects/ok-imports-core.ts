import { parseTx } from "../../core/tx.ts";
export const parse = parseTx;
