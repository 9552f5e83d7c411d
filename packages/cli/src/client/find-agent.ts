import { AGENT_FILE, readAgentFile } from '../agent/agent-file.js';
import { CliError, EXIT } from '../exit-codes.js';

/** Where the agent is and the token it wants. */
export interface AgentTarget {
  /** Base URL of the admin API. */
  url: string;
  /** Bearer token. */
  token: string;
}

/**
 * The agent to talk to: `MERIDIAN_AGENT_URL` with `MERIDIAN_ADMIN_TOKEN` when
 * set, else `.meridian/agent.json` in the working directory (written by
 * `meridian agent`). Neither: exit 3.
 */
export function findAgent(cwd: string, env: NodeJS.ProcessEnv): AgentTarget {
  const url = env['MERIDIAN_AGENT_URL'];
  if (url) {
    const token = env['MERIDIAN_ADMIN_TOKEN'];
    if (!token) throw new CliError('MERIDIAN_AGENT_URL is set but MERIDIAN_ADMIN_TOKEN is not: the agent needs its token', EXIT.USAGE);
    return { url: url.replace(/\/+$/, ''), token };
  }
  const file = readAgentFile(cwd);
  if (!file) throw new CliError(`no agent found: ${AGENT_FILE} is missing in ${cwd}; start one here with \`meridian agent\` (or set MERIDIAN_AGENT_URL and MERIDIAN_ADMIN_TOKEN)`, EXIT.UNREACHABLE);
  return { url: file.url, token: env['MERIDIAN_ADMIN_TOKEN'] || file.token };
}
