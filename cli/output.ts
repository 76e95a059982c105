/**
 * What a command prints. Human mode: text on stdout, progress on stderr
 * (an ora spinner on a terminal, one line per change otherwise). --json:
 * stdout carries JSON only (one document, or one line per event for
 * commands that stream: follow, optimize), progress is silent, bigints are
 * decimal strings.
 */
import ora, { type Ora } from "ora";

export interface Progress {
  update(text: string): void;
  succeed(text: string): void;
  fail(text: string): void;
  stop(): void;
}

export function toJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
}

export class Output {
  constructor(
    readonly json: boolean,
    /** where results and events go (stdout; a test may collect them) */
    private readonly write: (text: string) => void = (text) => void process.stdout.write(text),
  ) {}

  /** A command's result: the JSON document, or the human lines. */
  result(value: unknown, human: () => string | readonly string[]): void {
    if (this.json) {
      this.write(`${toJson(value)}\n`);
      return;
    }
    const text = human();
    this.write(`${typeof text === "string" ? text : text.join("\n")}\n`);
  }

  /** One event of a streaming command: a JSON line, or a human line. */
  event(value: unknown, human: () => string): void {
    this.write(`${this.json ? toJson(value) : human()}\n`);
  }

  /** A remark for people (stderr, never in --json). */
  note(text: string): void {
    if (!this.json) process.stderr.write(`${text}\n`);
  }

  /** Progress on something that waits. */
  progress(text: string): Progress {
    if (this.json) return { update() {}, succeed() {}, fail() {}, stop() {} };
    // a spinner on a real terminal (a pseudo-terminal without a size would make ora clear lines without end)
    if (process.stderr.isTTY === true && (process.stderr.columns ?? 0) > 0) {
      const spinner: Ora = ora({ text, stream: process.stderr, discardStdin: false }).start();
      return {
        update: (t) => {
          spinner.text = t;
        },
        succeed: (t) => void spinner.succeed(t),
        fail: (t) => void spinner.fail(t),
        stop: () => void spinner.stop(),
      };
    }
    // not a terminal (a log, a pipe): one line each time the text changes
    let last = "";
    const line = (prefix: string, t: string) => {
      if (t === last) return;
      last = t;
      process.stderr.write(`${prefix}${t}\n`);
    };
    line("… ", text);
    return { update: (t) => line("… ", t), succeed: (t) => line("✔ ", t), fail: (t) => line("✖ ", t), stop() {} };
  }
}
