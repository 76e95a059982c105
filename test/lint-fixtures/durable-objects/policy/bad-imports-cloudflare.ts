import { DurableObject } from "cloudflare:workers";
export const Base = DurableObject;
