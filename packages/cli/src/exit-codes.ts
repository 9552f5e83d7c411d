/** Exit codes of every `meridian` command (documented in docs/operations/cli.md). */
export const EXIT = {
  /** Done. */
  OK: 0,
  /** The operation ran and failed (a failover rolled back, a deploy was partial, a migration failed). */
  FAILED: 1,
  /** Bad arguments or a bad config file. */
  USAGE: 2,
  /** No agent answers (none started here, or it is down). */
  UNREACHABLE: 3,
  /** The agent refused the token. */
  UNAUTHORIZED: 4,
  /** Something named does not exist (an unknown region, session, operation or conflict key). */
  NOT_FOUND: 5,
  /** The operation was cancelled on the agent (Ctrl-C, `meridian cancel`) and rolled back as its engine does on abort. */
  CANCELLED: 6,
  /** The provider kind cannot do this (sessions on kubernetes or azure: no session adapter). */
  UNSUPPORTED: 7,
} as const;

/** One of {@link EXIT}'s values. */
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** An error the command line reports as one line on stderr and exits with `exitCode`. */
export class CliError extends Error {
  /** Stable code from the agent (`REGION_NOT_FOUND` ...), when there is one. */
  readonly code: string | undefined;

  constructor(
    message: string,
    readonly exitCode: ExitCode,
    options: { cause?: unknown; code?: string } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CliError';
    this.code = options.code;
  }
}
