/**
 * What can go wrong in a `doin` command, as values: a code (the node's own
 * code when the node refused something), a one-line message, what to do
 * about it, and the exit code that says which kind of thing failed. The
 * table of exit codes is documented in cli/README.md.
 */

/** Exit codes, by what failed. */
export const EXIT = {
  OK: 0,
  /** a bug in doin itself (reported in one line; DOIN_DEBUG=1 prints the stack) */
  INTERNAL: 1,
  /** bad arguments: a malformed amount, address, height, an unknown option */
  USAGE: 2,
  /** the keystore: unknown key, wrong passphrase, no passphrase, a damaged file */
  KEYSTORE: 3,
  /** the node could not be reached, timed out, or did not answer as a DOIN node */
  NODE_UNREACHABLE: 4,
  /** the node refused the request (its code is printed: INSUFFICIENT_BALANCE, BAD_NONCE, …) */
  REFUSED: 5,
  /** what was asked for does not exist (a tx, a block, a domain) */
  NOT_FOUND: 6,
  /** a wait ran out of time (inclusion, finality, a verdict) */
  TIMEOUT: 7,
  /** a transaction left the mempool without a block, or a round ended without a reward */
  FAILED_ON_CHAIN: 8,
  /** `doin deploy check` found problems; `doin deploy init` would overwrite a configuration */
  DEPLOY: 9,
  /** a node's answer did not prove what it says (`doin balance --prove`) */
  BAD_PROOF: 10,
  /** interrupted (Ctrl-C) */
  INTERRUPTED: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export class CliError extends Error {
  override readonly name = "CliError";
  constructor(
    readonly code: string,
    message: string,
    readonly exit: ExitCode,
    /** what to do about it */
    readonly hint?: string,
    /** the command already printed the failure as its --json result (nothing more goes to stdout) */
    readonly reportedInJson = false,
  ) {
    super(message);
  }
}

export const usage = (message: string, hint?: string): CliError => new CliError("USAGE", message, EXIT.USAGE, hint);

/**
 * What a user can do when the node refuses a transaction with `code`
 * (the node's codes: core/errors.ts, durable-objects/rpc.ts; and those the
 * network's rules add: TOO_MANY_OPEN_ROUNDS, REVEAL_TOO_EARLY).
 */
const ADVICE: Readonly<Record<string, string>> = {
  INSUFFICIENT_BALANCE: "fund the account first (doin transfer --to ADDRESS from a funded key), or send less",
  BAD_NONCE: "another transaction of this key took the nonce (sent from elsewhere?): run the command again",
  FEE_TOO_LOW: "a pending transaction with this nonce pays more: raise --fee",
  MEMPOOL_FULL: "the node's mempool is full: raise --fee (doin status shows the suggested fees) or try later",
  WRONG_NETWORK: "--node points at another network than the transaction's",
  BAD_SIGNATURE: "the signature does not verify: the key file may be damaged",
  ALREADY_KNOWN: "the node already has this transaction",
  MALFORMED: "the node could not read the request: check the arguments",
  UNKNOWN_DOMAIN: "the network has no such domain: `doin champion` lists the domains",
  TOO_MANY_OPEN_ROUNDS: "this key holds as many open commits and rounds as the network allows: wait for a verdict, then retry",
  REVEAL_TOO_EARLY: "the commit is too recent to reveal: wait for more blocks, then retry",
  DUPLICATE_PARAMS: "someone already revealed these parameters: optimize further",
  DUPLICATE_COMMIT: "this commitment is already on chain",
  REVEAL_MISMATCH: "the reveal does not open its commit (the local optimae journal may be damaged)",
  NOT_VERIFIED: "the round is not (or no longer) accepted: nothing to claim",
  TOO_LARGE: "the transaction or its parameters are too large for the network's limits",
  NOT_FOUND: "nothing by that id on this node",
  UNAUTHORIZED: "this endpoint needs the node's runner token",
};

export function adviceFor(code: string): string | undefined {
  return ADVICE[code];
}

/** The node answered `status` with `{code, message}`. */
export function refused(code: string, message: string, status: number): CliError {
  if (status === 404 || code === "NOT_FOUND") return new CliError(code, message, EXIT.NOT_FOUND, adviceFor(code));
  return new CliError(code, message, EXIT.REFUSED, adviceFor(code));
}
