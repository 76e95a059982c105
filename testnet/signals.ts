/**
 * Signals: Miniflare (src/exit-hook.ts) answers SIGINT/SIGTERM/SIGHUP by
 * killing workerd and exiting 128+n at once, before a program's own handler
 * can stop the testnet and exit as it likes. Its 'exit' hook (workerd killed
 * when the process exits) stays; its signal listeners are taken off after
 * every Miniflare construction, and the testnet's own take their place.
 */

const SIGNALS = { SIGINT: 2, SIGTERM: 15, SIGHUP: 1 } as const;
type Signal = keyof typeof SIGNALS;
const OURS = Symbol("doin-testnet signal handler");
const MINIFLARE_SIGNAL_HANDLERS = new Set(["onSignalInt", "onSignalTerm", "onSignalHup"]);

/** Takes Miniflare's signal listeners off (call after every `new Miniflare`). */
export function dropMiniflareSignalHandlers(): void {
  for (const sig of Object.keys(SIGNALS) as Signal[]) {
    for (const l of process.listeners(sig)) if (MINIFLARE_SIGNAL_HANDLERS.has(l.name)) process.removeListener(sig, l as () => void);
  }
}

/**
 * On a signal nobody else handles: `stop`, then exit 128+n (a program that
 * listens itself, like the CLI, decides). Answers the function that takes
 * these listeners off.
 */
export function stopOnSignals(stop: () => Promise<void>): () => void {
  const handlers = (Object.keys(SIGNALS) as Signal[]).map((sig) => {
    const handler = Object.assign(
      (): void => {
        if (process.listeners(sig).some((l) => !(OURS in l))) return;
        void stop().finally(() => process.exit(128 + SIGNALS[sig]));
      },
      { [OURS]: true },
    );
    process.on(sig, handler);
    return [sig, handler] as const;
  });
  return () => {
    for (const [sig, l] of handlers) process.removeListener(sig, l);
  };
}
