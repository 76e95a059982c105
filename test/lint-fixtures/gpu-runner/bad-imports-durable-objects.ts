import type { TaskDO } from "../../durable-objects/task.ts";
export type T = TaskDO;
