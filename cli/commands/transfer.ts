/**
 * doin transfer: builds, signs and submits a transfer, then waits for its
 * block and for the confirmations that make it final (the network's
 * finality depth), with a spinner that counts them.
 */
import { Command, Option } from "commander";
import { formatCoin, parseCoin } from "../amount.ts";
import { usage } from "../errors.ts";
import type { Action } from "../main.ts";
import { networkRules } from "../network.ts";
import { parseFeeOption, Sender, waitForTx, type WaitFor } from "../sender.ts";

export function parseWait(text: string): WaitFor {
  if (text === "none" || text === "included" || text === "final") return text;
  throw usage(`--wait: ${JSON.stringify(text)} is not none, included or final`);
}

export function registerTransferCommand(program: Command, action: Action): void {
  program
    .command("transfer")
    .description("send DOIN to an account and wait until the transfer is final")
    .requiredOption("--from <key>", "the paying key (a key name in the keystore)")
    .requiredOption("--to <account>", "the receiver: an address, a public key, or a key name")
    .requiredOption("--amount <DOIN>", "how much, in DOIN (e.g. 1.5; 1 DOIN = 10^8 base units)")
    .addOption(new Option("--fee <auto|DOIN>", "the fee: auto (the node's suggestion) or an amount in DOIN (0 allowed)").default("auto"))
    .addOption(new Option("--wait <what>", "wait for: final (enough confirmations), included (in a block), none").default("final"))
    .action(
      action(async (ctx, cmd) => {
        const o = cmd.opts<{ from: string; to: string; amount: string; fee: string; wait: string }>();
        // arguments first, then the node, then the passphrase: nothing is asked for a command that cannot run
        const amount = parseCoin(o.amount);
        const feeChoice = parseFeeOption(o.fee);
        const wait = parseWait(o.wait);
        const to = ctx.address(o.to, "--to");
        ctx.keystore.info(o.from);
        const rules = await networkRules(ctx.client);
        const { info, secret } = await ctx.unlock(o.from);
        const sender = new Sender(ctx.client, secret, rules.network);
        const fee = await sender.fee(feeChoice);
        const tx = await sender.send("transfer", { to, amount }, fee);
        const sent = { id: tx.id, from: info.address, to, amount: amount.toString(), amountDOIN: formatCoin(amount), fee: fee.toString(), nonce: tx.nonce };
        if (wait === "none") {
          ctx.out.result({ ...sent, status: "pending" }, () => [`sent ${formatCoin(amount)} DOIN to ${to} (fee ${formatCoin(fee)} DOIN)`, `transaction ${tx.id}`]);
          return;
        }
        const progress = ctx.out.progress(`sent ${tx.id.slice(0, 12)}…, waiting for a block`);
        try {
          const landed = await waitForTx(ctx.client, tx.id, { until: wait, finalityDepth: rules.finalityDepth, timeoutMs: ctx.timeoutMs, onProgress: (t) => progress.update(t) });
          progress.succeed(landed.final ? `final at height ${landed.height} (${landed.confirmations} confirmations)` : `included at height ${landed.height}`);
          ctx.out.result({ ...sent, status: landed.final ? "final" : "included", ...landed }, () => [
            `sent ${formatCoin(amount)} DOIN to ${to} (fee ${formatCoin(fee)} DOIN)`,
            `transaction ${tx.id}`,
            `${landed.final ? "final" : "included"} at height ${landed.height} (block ${landed.block.slice(0, 12)}…, ${landed.confirmations} confirmations)`,
          ]);
        } catch (e) {
          progress.fail(`transaction ${tx.id.slice(0, 12)}… did not become ${wait}`);
          throw e;
        }
      }),
    );
}
