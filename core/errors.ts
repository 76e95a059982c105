/**
 * Expected failures are values. Every rejection names a code that callers
 * (the API, peers' scoring, tests) branch on; exceptions are reserved for bugs.
 */

export type ErrorCode =
  // encoding and shape
  | "MALFORMED"
  | "NON_CANONICAL"
  | "TOO_LARGE"
  | "PARAMS_TOO_LARGE"
  | "WRONG_NETWORK"
  | "BAD_ID"
  | "BAD_SIGNATURE"
  // transactions, stateful
  | "BAD_NONCE"
  | "INSUFFICIENT_BALANCE"
  | "UNKNOWN_DOMAIN"
  | "DUPLICATE_COMMIT"
  | "UNKNOWN_COMMIT"
  | "NOT_COMMIT_AUTHOR"
  | "COMMIT_NOT_FINAL"
  | "REVEAL_TOO_EARLY"
  | "TOO_MANY_OPEN_ROUNDS"
  | "COMMIT_EXPIRED"
  | "ALREADY_REVEALED"
  | "REVEAL_MISMATCH"
  | "DUPLICATE_PARAMS"
  | "UNKNOWN_OPTIMAE"
  | "NOT_SELECTED"
  | "DUPLICATE_VOTE"
  | "VOTING_CLOSED"
  | "NOT_VERIFIED"
  | "NOT_OPTIMAE_AUTHOR"
  | "NOT_AN_IMPROVEMENT"
  | "BAD_ANCHOR"
  // blocks
  | "BAD_HEIGHT"
  | "BAD_PARENT"
  | "BAD_TIMESTAMP"
  | "BAD_TX_ROOT"
  | "BAD_COINBASE"
  | "BAD_STATE_ROOT"
  | "BAD_WORK"
  | "BAD_THRESHOLD"
  | "BELOW_THRESHOLD"
  | "NOT_A_PRODUCER"
  | "OUT_OF_TURN"
  | "BAD_RANK"
  | "BAD_VRF"
  | "BAD_BEACON"
  | "DUPLICATE_TX"
  | "TOO_MANY_TXS"
  | "BLOCK_TOO_LARGE"
  | "BELOW_FINALITY"
  | "CHECKPOINT_CONFLICT"
  // light-client proofs
  | "BAD_PROOF";

export interface ProtocolError {
  readonly code: ErrorCode;
  readonly message: string;
  /** index of the offending transaction inside a block, when there is one */
  readonly txIndex?: number;
}

export type Result<T, E = ProtocolError> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: E };

export function ok<T>(value: T): { readonly ok: true; readonly value: T } {
  return { ok: true, value };
}

export function err(code: ErrorCode, message: string, txIndex?: number): { readonly ok: false; readonly error: ProtocolError } {
  return { ok: false, error: txIndex === undefined ? { code, message } : { code, message, txIndex } };
}
