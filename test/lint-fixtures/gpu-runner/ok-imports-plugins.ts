import { sphere } from "../../plugins/examples/sphere/index.ts";
export const plugin = sphere;
