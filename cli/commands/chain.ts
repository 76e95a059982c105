/**
 * Reading the chain: doin status, balance, tx, block, champion, rounds,
 * follow. Blocks are shown generically (every header field as it comes), so
 * a header that gains fields is still shown whole.
 */
import { Command, Option } from "commander";
import { isHex } from "../../core/hex.ts";
import { addressFromPublicKey } from "../../core/keys.ts";
import { checkAccountProofAnswer } from "../../core/state-proof.ts";
import { formatCoin, formatFixed } from "../amount.ts";
import type { Context } from "../context.ts";
import { CliError, EXIT, usage } from "../errors.ts";
import type { Action } from "../main.ts";
import type { BlockWire, RoundView } from "../node-client.ts";

const short = (hex: unknown, n = 12): string => (typeof hex === "string" && hex.length > n ? `${hex.slice(0, n)}…` : String(hex));

function txId(text: string): string {
  if (!isHex(text, 32)) throw usage(`${JSON.stringify(text)} is not a transaction id (64 lower-case hex characters)`);
  return text;
}

function intArg(text: string, what: string, min = 0): number {
  const n = Number(text);
  if (!/^[0-9]+$/.test(text) || !Number.isSafeInteger(n) || n < min) throw usage(`${what}: ${JSON.stringify(text)} is not an integer ≥ ${min}`);
  return n;
}

/**
 * `doin balance --prove`: the account as the state root of a block commits
 * to it (core's checkAccountProofAnswer), at the node's finalized block or
 * at the block the user trusts. The reputation shown is the stored one, not
 * decayed to now: that is what the leaf holds.
 */
async function proveBalance(ctx: Context, address: string, trusted: string | undefined): Promise<void> {
  if (trusted !== undefined && !isHex(trusted, 32)) throw usage(`--block: ${JSON.stringify(trusted)} is not a block hash (64 lower-case hex characters)`);
  let height: number;
  if (trusted === undefined) height = (await ctx.client.chainStatus()).finalizedHeight;
  else {
    const b = await ctx.client.block(trusted);
    if (b === null) throw new CliError("NOT_FOUND", `the node does not hold the block ${trusted}`, EXIT.NOT_FOUND, "ask a node on the same chain, or name a block it holds");
    height = b.header.height;
  }
  const answer = await ctx.client.get<unknown>(`/chain/account/${address}?proof=1&height=${height}`);
  const checked = checkAccountProofAnswer(address, answer);
  if (!checked.ok) throw new CliError(checked.error.code, `${ctx.client.url} gave an answer that does not hold: ${checked.error.message}`, EXIT.BAD_PROOF, "do not trust this node's answers; ask another node");
  const p = checked.value;
  if (trusted !== undefined && p.blockHash !== trusted) {
    throw new CliError("BAD_PROOF", `the proof is against block ${p.blockHash}, not the block ${trusted} you trust`, EXIT.BAD_PROOF, "do not trust this node's answers; ask another node");
  }
  const a = p.account;
  const result = {
    address,
    exists: a !== null,
    balance: (a?.balance ?? 0n).toString(),
    balanceDOIN: formatCoin((a?.balance ?? 0n).toString()),
    nonce: a?.nonce ?? 0,
    storedReputation: (a?.reputation ?? 0n).toString(),
    proven: { height: p.header.height, block: p.blockHash, stateRoot: p.header.stateRoot },
  };
  ctx.out.result(result, () => [
    `address     ${address}${a === null ? " (no such account: proven absent)" : ""}`,
    `balance     ${result.balanceDOIN} DOIN`,
    `nonce       ${result.nonce}`,
    `proven      against block ${p.header.height} (${p.blockHash}), state root ${p.header.stateRoot}`,
  ]);
}

/** One line per header field, in the order the node sends them. */
function headerLines(header: Readonly<Record<string, unknown>>): string[] {
  return Object.entries(header).map(([k, v]) => `  ${k.padEnd(16)} ${typeof v === "object" ? JSON.stringify(v) : String(v)}`);
}

function txLine(t: BlockWire["txs"][number]): string {
  const b = t.body;
  const what =
    t.kind === "transfer" ? `${formatCoin(String(b["amount"]))} DOIN → ${String(b["to"])}`
    : t.kind === "commit" ? `domain ${String(b["domain"])}`
    : t.kind === "reveal" ? `commit ${short(b["commit"])} reported ${formatFixed(String(b["reported"]))}`
    : t.kind === "vote" ? `optimae ${short(b["optimae"])} performance ${formatFixed(String(b["performance"]))}`
    : t.kind === "accept" ? `optimae ${short(b["optimae"])}`
    : JSON.stringify(b);
  return `  ${t.kind.padEnd(8)} ${short(t.id)} from ${addressFromPublicKey(t.from)} · ${what}`;
}

function blockSummary(b: BlockWire): string {
  const kinds = b.txs.map((t) => t.kind);
  const minted = b.coinbase.length > 0 ? ` · pays ${formatCoin(b.coinbase.reduce((s, o) => s + BigInt(o.amount), 0n))} DOIN` : "";
  const work = typeof b.header["work"] === "string" && b.header["work"] !== "0" ? ` · work ${formatFixed(b.header["work"])}` : "";
  return `#${b.header.height} ${short(b.hash)} ${new Date(b.header.timestamp).toISOString()} · ${b.txs.length} tx${b.txs.length === 1 ? "" : "s"}${kinds.length > 0 ? ` (${kinds.join(", ")})` : ""}${work}${minted} · producer ${short(addressFromPublicKey(b.header.producer))}`;
}

function roundLine(r: RoundView): string {
  return `${short(r.optimae)} ${r.domain.padEnd(10)} ${r.status.padEnd(10)} votes ${r.votes.length}/${r.quorum.length} reported ${formatFixed(r.reported)}${r.verified === null ? "" : ` verified ${formatFixed(r.verified)}`} · optimizer ${short(r.optimizer)} · deadline ${r.deadline}`;
}

async function follow(ctx: Context, from: number | null, count: number | null, pollMs: number): Promise<void> {
  const client = ctx.client;
  const seen = new Map<number, string>();
  let next = from ?? (await client.chainStatus()).height + 1;
  let printed = 0;
  const stop = () => count !== null && printed >= count;
  while (!stop()) {
    const status = await client.chainStatus();
    // a reorganization: the block we showed last is no longer the canonical one at its height
    const lastShown = seen.get(next - 1);
    if (lastShown !== undefined && next - 1 <= status.height) {
      const now = await client.block(next - 1);
      if (now !== null && now.hash !== lastShown) {
        let fork = next - 1;
        while (fork > 0 && seen.has(fork - 1) && (await client.block(fork - 1))?.hash !== seen.get(fork - 1)) fork--;
        ctx.out.event({ event: "reorg", from: fork, depth: next - fork }, () => `reorganization: blocks from height ${fork} replaced (${next - fork} deep)`);
        for (let h = fork; h < next; h++) seen.delete(h);
        next = fork;
      }
    }
    while (next <= status.height && !stop()) {
      const to = Math.min(status.height, next + 49);
      for (const b of await client.blocks(next, to)) {
        seen.set(b.header.height, b.hash);
        seen.delete(b.header.height - 64);
        ctx.out.event({ event: "block", ...b }, () => blockSummary(b));
        printed++;
        next = b.header.height + 1;
        if (stop()) break;
      }
    }
    if (!stop()) await new Promise((r) => setTimeout(r, pollMs));
  }
}

export function registerChainCommands(program: Command, action: Action): void {
  program
    .command("status")
    .description("the node and its chain at a glance: height, finality, supply, mempool, peers, whether rounds can be decided")
    .action(
      action(async (ctx) => {
        const s = (await ctx.client.nodeStatus()) as {
          node: { address: string; url: string; protocol: number };
          chain: { network: string; genesis: string; height: number; tip: string; tipTimestamp: number; finalizedHeight: number; supply: string; mintedBlocks: number; threshold: string; pendingWork: string; openRounds: number };
          mempool: { size: number };
          peers: unknown;
          quorum?: { evaluators: number; problem: string | null; message: string | null };
        };
        const peers = Array.isArray(s.peers) ? s.peers.length : "?";
        ctx.out.result(s, () => [
          `network     ${s.chain.network} (genesis ${short(s.chain.genesis)})`,
          `node        ${ctx.client.url} · address ${s.node.address} · protocol ${s.node.protocol}`,
          `height      ${s.chain.height} (tip ${short(s.chain.tip)}, ${Math.max(0, Math.round((Date.now() - s.chain.tipTimestamp) / 1000))} s ago) · final ${s.chain.finalizedHeight}`,
          `supply      ${formatCoin(s.chain.supply)} DOIN · ${s.chain.mintedBlocks} work blocks`,
          `threshold   ${formatFixed(s.chain.threshold)} · pending work ${formatFixed(s.chain.pendingWork)} · open rounds ${s.chain.openRounds}`,
          `mempool     ${s.mempool.size} pending · peers ${peers}`,
          s.quorum === undefined ? "quorum      (not reported by this node)"
          : s.quorum.problem === null ? `quorum      ok: ${s.quorum.evaluators} accounts may evaluate`
          : `quorum      ${s.quorum.problem}: ${s.quorum.message}`,
        ]);
      }),
    );

  program
    .command("balance")
    .description("an account's balance, nonce and reputation")
    .argument("<account>", "an address, a public key, or a key name")
    .option("--prove", "do not trust the node: check its answer with a Merkle proof against the state root of its finalized block")
    .option("--block <hash>", "with --prove: the block you trust (from another node, or a checkpoint); the proof must be against its state root")
    .action(
      action(async (ctx, cmd) => {
        const address = ctx.address(cmd.args[0] as string, "account");
        const o = cmd.opts<{ prove?: boolean; block?: string }>();
        if (o.block !== undefined && o.prove !== true) throw usage("--block goes with --prove");
        if (o.prove === true) return proveBalance(ctx, address, o.block);
        const a = await ctx.client.account(address);
        ctx.out.result({ ...a, balanceDOIN: formatCoin(a.balance), reputationValue: formatFixed(a.reputation) }, () => [
          `address     ${a.address}`,
          `balance     ${formatCoin(a.balance)} DOIN`,
          `nonce       ${a.nonce}`,
          `reputation  ${formatFixed(a.reputation)}`,
        ]);
      }),
    );

  program
    .command("tx")
    .description("a transaction: pending, in a block (with its confirmations), or why it was dropped")
    .argument("<id>", "the transaction id (64 hex)")
    .action(
      action(async (ctx, cmd) => {
        const id = txId(cmd.args[0] as string);
        const t = await ctx.client.tx(id);
        if (t === null) throw new CliError("NOT_FOUND", `node ${ctx.client.url} knows no transaction ${id}`, EXIT.NOT_FOUND, "it was never sent to this network, or it left the mempool more than an hour ago");
        if (t.status === "included") {
          const [status, params] = await Promise.all([ctx.client.chainStatus(), ctx.client.params()]);
          const depth = Number(params["finalityDepth"]);
          const confirmations = Math.max(0, status.height - t.height);
          const final = status.finalizedHeight >= t.height;
          ctx.out.result({ ...t, confirmations, finalityDepth: depth, final }, () => [
            `transaction ${id}`,
            `status      included at height ${t.height} (block ${short(t.block)})`,
            `confirmed   ${confirmations} blocks on top · ${final ? "final" : `final after ${depth}`}`,
          ]);
        } else if (t.status === "pending") {
          ctx.out.result(t, () => [`transaction ${id}`, `status      pending (${t.kind} from ${t.sender}, nonce ${t.nonce}, fee ${formatCoin(t.fee)} DOIN)`]);
        } else {
          ctx.out.result(t, () => [`transaction ${id}`, `status      dropped: ${t.code}: ${t.message}`]);
        }
      }),
    );

  program
    .command("block")
    .description("a block by height or hash: its header (every field), transactions and coinbase")
    .argument("<ref>", "a height, or a block hash (64 hex)")
    .action(
      action(async (ctx, cmd) => {
        const ref = cmd.args[0] as string;
        const key = isHex(ref, 32) ? ref : intArg(ref, "block");
        const b = await ctx.client.block(key);
        if (b === null) throw new CliError("NOT_FOUND", typeof key === "number" ? `no canonical block at height ${key}` : `no block ${key}`, EXIT.NOT_FOUND, "`doin status` shows the height");
        ctx.out.result(b, () => [
          `block ${b.hash}`,
          ...headerLines(b.header),
          `transactions (${b.txs.length})`,
          ...b.txs.map(txLine),
          `coinbase (${b.coinbase.length})`,
          ...b.coinbase.map((o) => `  ${o.role.padEnd(9)} ${formatCoin(o.amount)} DOIN → ${o.to}`),
        ]);
      }),
    );

  program
    .command("champion")
    .description("a domain's champion (all domains when none is named)")
    .argument("[domain]", "the domain")
    .action(
      action(async (ctx, cmd) => {
        const domain = cmd.args[0];
        const all = await ctx.client.champions();
        const list = domain === undefined ? all : all.filter((c) => c.domain === domain);
        if (domain !== undefined && list.length === 0) throw new CliError("UNKNOWN_DOMAIN", `the network has no domain ${JSON.stringify(domain)}`, EXIT.NOT_FOUND, `its domains: ${all.map((c) => c.domain).join(", ")}`);
        const lines = (c: (typeof all)[number]) => [
          `${c.domain}: ${formatFixed(c.performance)}${c.optimizer === null ? " (the initial champion)" : ` by ${c.optimizer} at height ${c.height}`}`,
          ...(c.optimae === null ? [] : [`  optimae ${c.optimae}`, `  params  ${JSON.stringify(c.params)}`]),
        ];
        ctx.out.result(domain === undefined ? list : list[0], () => list.flatMap(lines));
      }),
    );

  program
    .command("rounds")
    .description("rounds on the head: open ones and those decided in the last vote window")
    .option("--domain <domain>", "only this domain")
    .option("--status <status>", "only this status (voting, accepted, rejected, expired, claimed, superseded)")
    .option("--optimizer <account>", "only this optimizer (address, public key or key name)")
    .action(
      action(async (ctx, cmd) => {
        const o = cmd.opts<{ domain?: string; status?: string; optimizer?: string }>();
        const optimizer = o.optimizer === undefined ? undefined : ctx.address(o.optimizer, "--optimizer");
        const rounds = (await ctx.client.rounds()).filter(
          (r) => (o.domain === undefined || r.domain === o.domain) && (o.status === undefined || r.status === o.status) && (optimizer === undefined || r.optimizer === optimizer),
        );
        ctx.out.result(rounds, () => (rounds.length === 0 ? "no rounds" : rounds.map(roundLine)));
      }),
    );

  program
    .command("follow")
    .description("print new blocks as they arrive (and reorganizations); Ctrl-C stops")
    .option("--from <height>", "start from this height instead of the next block")
    .option("--count <n>", "stop after this many blocks")
    .addOption(new Option("--poll-ms <ms>", "how often to ask the node").default("1000"))
    .action(
      action(async (ctx, cmd) => {
        const o = cmd.opts<{ from?: string; count?: string; pollMs: string }>();
        await follow(ctx, o.from === undefined ? null : intArg(o.from, "--from"), o.count === undefined ? null : intArg(o.count, "--count", 1), intArg(o.pollMs, "--poll-ms", 50));
      }),
    );
}
