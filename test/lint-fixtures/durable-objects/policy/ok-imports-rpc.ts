import { success } from "./rpc.ts";
export const ok = success;
