import { chainOf } from "./stubs.ts";
export const chain = chainOf;
