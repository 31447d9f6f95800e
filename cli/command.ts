/**
 * What a `kw` subcommand is and where it writes: its own module so commands and their helpers do not
 * import the dispatcher in main.ts (which loads them).
 */

/** A `kw` subcommand. */
export interface Command {
  /** Full help, with examples. */
  readonly help: string;
  /** Runs the command; resolves to the process exit code. */
  run(args: string[], io: CommandIO): Promise<number>;
}

/** Where commands write, so tests can capture it. */
export interface CommandIO {
  out(text: string): void;
  err(text: string): void;
  /** Where `kw produce` reads records from when no --file is given. */
  readonly stdin?: NodeJS.ReadableStream;
  /** True when output goes to a terminal: colour, tables and in-place status lines are allowed. */
  readonly tty?: boolean;
  /** Replaces the current status line (terminals only); an empty text clears it. */
  status?(text: string): void;
}
