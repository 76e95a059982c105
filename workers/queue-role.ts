/** Queue names → what the node does with a batch (kept free of Worker imports: `doin deploy check` reads it in Node). */

/**
 * Which of the node's queues a batch comes from, by name: `doin-jobs` /
 * `doin-flood` (wrangler.toml), or any name ending in `-jobs` / `-flood`.
 * Queue names are global to a Cloudflare account, so each node of a network
 * deployed there has its own pair (`doin deploy init` names them
 * `<network>-node<i>-jobs` / `-flood`).
 */
export function queueRole(name: string): "jobs" | "flood" | null {
  if (/(^|-)jobs$/.test(name)) return "jobs";
  if (/(^|-)flood$/.test(name)) return "flood";
  return null;
}
