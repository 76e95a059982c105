/** The testnet's public shapes: what startTestnet (harness.ts) takes and gives. */
export interface TestnetOptions {
  readonly nodes: number;
  readonly dir: string;
  /** wipe `dir` first (a new network: new seed, new identities, empty chains) */
  readonly clean?: boolean;
  /** node i listens on 127.0.0.1:(basePort + i); default 8787 */
  readonly basePort?: number;
  /** RUNNER_TOKEN of every node (default: a random one kept in testnet.json) */
  readonly runnerToken?: string;
  readonly networkId?: string;
  /** a new network's genesis timestamp (default: now); a test that builds a long chain offline starts it in the past */
  readonly genesisTime?: number;
  /** more Worker vars for every node (they override the testnet's own); a function gives node i its own */
  readonly extraVars?: Record<string, string> | ((index: number) => Record<string, string>);
  /** print the Workers' log lines (console.*, warnings) */
  readonly logs?: boolean;
  /** start one GPU runner process per node (quadratic domain) */
  readonly runners?: boolean;
  readonly optimizer?: "cmaes" | "random_step";
  /**
   * Domain plugin packages beside the built-in quadratic domain: each
   * package's domains with chain rules ("doin".chain) are declared to the
   * network (the DOMAINS setting, so the genesis commits to them) and
   * optimized by every node; every runner loads the packages and serves them.
   */
  readonly pluginPackages?: readonly string[];
  /**
   * The domains the nodes optimize and their runners serve (OPTIMIZE_DOMAINS,
   * runner --domains); default quadratic and every plugin package's domains.
   * Each must be quadratic or a domain of `pluginPackages`.
   */
  readonly domains?: readonly string[];
  /** more flags for the runners (see `npm run runner -- --help`), e.g. ["--kinds", "evaluate,inference"]; a function gives node i's runner its own */
  readonly runnerArgs?: readonly string[] | ((index: number) => readonly string[]);
  /** each line a runner prints (progress every 15 s); unset: runners print nothing unless `logs` */
  readonly onRunnerLine?: (runner: string, line: string) => void;
  /** one workerd per node instead of one for all (true single-node kills; more memory) */
  readonly isolate?: boolean;
  /** how often every node's `scheduled` handler runs, in ms (default 5000; 0: never) */
  readonly cronMs?: number;
}

export interface TestnetNode {
  readonly index: number;
  readonly name: string;
  readonly url: string;
  readonly port: number;
  readonly publicKey: string;
  readonly secretHex: string;
  /** the persistence root holding this node's state (shared by every node unless `isolate`) */
  readonly dir: string;
}

export interface Testnet {
  readonly nodes: readonly TestnetNode[];
  /** the network's genesis timestamp (GENESIS_TIME): paramsFor(…, genesisTime) gives its parameters */
  readonly genesisTime: number;
  readonly token: string;
  /** milliseconds from startTestnet() until every node answered /health (bundle included) */
  readonly startupMs: number;
  isRunning(i: number): boolean;
  /** stops node i (its port closes; its state stays on disk) */
  stopNode(i: number): Promise<void>;
  /** (re)starts node i with its persisted state; `peers` restricts its bootstrap list (default: every other node) */
  startNode(i: number, opts?: { peers?: readonly number[] }): Promise<void>;
  /**
   * Cuts the network into groups of node indexes: a node's outbound requests
   * reach only the nodes of its own group (others fail like a refused
   * connection). Nodes not listed are alone. Immediate, no restart.
   */
  partition(groups: readonly (readonly number[])[]): Promise<void>;
  /** removes the partition */
  heal(): Promise<void>;
  /** kills node i's runner process outright (SIGKILL: a crash, its leases lapse) */
  killRunner(i: number): Promise<void>;
  /** starts node i's runner process (again) */
  startRunner(i: number): void;
  /** runs every running node's `scheduled` handler now */
  tick(): Promise<void>;
  /** the last Worker log lines (kept even when `logs` is off) */
  logTail(lines?: number): string[];
  stop(): Promise<void>;
  /** resident memory in MiB: the workerd process(es) + this process (runners not included) */
  rssMb(): number;
}
