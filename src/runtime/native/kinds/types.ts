// How to run one kind of server from local binaries, as data: the program, its arguments and
// environment, the files it reads, a one-time initialization, and what to clean up after it.
// Each kind's module turns a NativeSpec into a NativeLaunch with no I/O; whoever starts the
// server (the native runtime, the tests) writes the files, runs the steps and the program.

/** Where one server keeps its files and what it listens on. */
export interface NativeSpec<P extends string> {
  /** A directory of this server alone (absolute): data, configuration and logs go under it. */
  dir: string;
  /** The address it listens on. */
  host: string;
  /** Its ports, by the names its kind declares. */
  ports: Record<P, number>;
}

/** A program by the names it goes by: absolute paths first, then names looked up on PATH. */
export interface Program {
  candidates: string[];
  /** An npm package whose bin provides it (looked up in the project's node_modules first). */
  npm?: { package: string; bin: string };
}

/** A command run to completion (initialization, clean-up). */
export interface Step {
  program: Program;
  args: string[];
}

export interface NativeLaunch {
  program: Program;
  args: string[];
  /** Added to the environment it inherits. */
  env: Record<string, string>;
  /** Directories to create (owned by the account it runs as). */
  dirs: string[];
  /** Files written before each start; mode 0600, as they may hold passwords. */
  files: { path: string; content: string }[];
  /** Run once, before the first start: skipped when `creates` exists. */
  init?: Step & { creates: string };
  /** Run after the server has stopped, to end what it started on its own (rabbitmq's epmd). */
  afterStop?: Step[];
  /** How long a graceful stop (SIGTERM) may take before SIGKILL. */
  stopGraceMs: number;
}

export interface NativeKind<P extends string, S extends object = object> {
  kind: string;
  /** The ports it needs, the client-facing one first. */
  ports: readonly P[];
  /** Debian's system account for it: the server runs as this user when tm runs as root. */
  account?: string;
  launch(spec: NativeSpec<P> & S): NativeLaunch;
}
