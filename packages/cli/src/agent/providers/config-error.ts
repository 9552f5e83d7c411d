import { MeridianError } from '@meridian/core';
import { formatPath } from '../../config/format-issues.js';
import type { LoadedConfig } from '../../config/load-config.js';
import { CliError, EXIT } from '../../exit-codes.js';

/**
 * A provider's INVALID_CONFIG (issues with dotted paths of its own options,
 * e.g. `regions.us-east.context`) as a config error at `file:line:col` of the
 * matching key under `provider`, with a stable code; anything else is rethrown.
 */
export function providerConfigError(error: unknown, loaded: Pick<LoadedConfig, 'where'>, code: string, toPath: (providerPath: string) => PropertyKey[]): never {
  if (!MeridianError.hasCode(error, 'INVALID_CONFIG')) throw error;
  const issues = (error.details['issues'] as Array<{ path: string; message: string }> | undefined) ?? [];
  if (issues.length === 0) throw new CliError(`${error.message} [${code}]`, EXIT.USAGE, { cause: error, code });
  const lines = issues.map((issue) => {
    const path = toPath(issue.path);
    return `${loaded.where(path)}: ${formatPath(path)}: ${issue.message} [${code}]`;
  });
  throw new CliError(lines.join('\n'), EXIT.USAGE, { cause: error, code });
}
