import { app } from "../../workers/app.ts";
export const worker = app;
