import { DurableObject } from "cloudflare:workers";
/** Jobs for runners, with leases. */
export class TaskDO extends DurableObject<Env> {}
