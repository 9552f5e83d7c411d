// The `meridian` command line. Exit codes: see EXIT (documented in docs/operations/cli.md).
import { readFileSync } from 'node:fs';
import { CommanderError } from 'commander';
import { createContext } from './commands/context.js';
import { CliError, EXIT, type ExitCode } from './exit-codes.js';
import { createProgram } from './program.js';

async function main(argv: string[]): Promise<ExitCode> {
  let code: ExitCode = EXIT.OK;
  const ctx = createContext(process.cwd(), process.env, { stdout: process.stdout, stderr: process.stderr }, (c) => {
    code = c;
  });
  const program = createProgram(ctx, version());
  try {
    await program.parseAsync(argv);
    return code;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
    if (error instanceof CliError) {
      // The agent's stable code, for scripts that match on it (HTTP_nnn is only a status, not a code).
      const code = error.code && !error.code.startsWith('HTTP_') ? ` [${error.code}]` : '';
      ctx.io.stderr.write(`meridian: ${error.message}${code}\n`);
      return error.exitCode;
    }
    ctx.io.stderr.write(`meridian: ${error instanceof Error ? error.message : String(error)}\n`);
    return EXIT.FAILED;
  }
}

function version(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return '0.0.0';
  }
}

main(process.argv).then((code) => {
  process.exitCode = code;
});
