/**
 * The `doin` process: `npm run doin -- …` in a checkout, bin/doin.mjs
 * where the package is installed. Runs the command line and exits with its
 * code; an error escaping every handler is still one line (exit 1).
 */
import { main } from "./main.ts";

const crash = (e: unknown): void => {
  if (process.env["DOIN_DEBUG"] !== undefined && e instanceof Error) process.stderr.write(`${e.stack}\n`);
  process.stderr.write(`doin: INTERNAL: ${e instanceof Error ? e.message : String(e)} — a bug in doin: DOIN_DEBUG=1 prints the stack\n`);
  process.exit(1);
};
process.on("uncaughtException", crash);
process.on("unhandledRejection", crash);

process.exit(await main(process.argv.slice(2)));
