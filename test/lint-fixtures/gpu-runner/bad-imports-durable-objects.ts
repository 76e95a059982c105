import type { Job } from "../../durable-objects/jobs.ts";
export type J = Job;
