import { execFileSync, spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { firstUnmet, requireSystemTool, systemRequirement, type SystemRequirement } from './system-requirement.js';

/** Whether this process can build network namespaces (Linux, root, `ip` and `nft`), and if not, why and how to enable it. */
export function netnsSupport(): SystemRequirement {
  const sbin = ['/usr/sbin', '/sbin', '/usr/bin', '/bin'];
  return firstUnmet(
    systemRequirement('Linux', process.platform === 'linux', `network namespaces need Linux (this is ${process.platform})`, 'run the tests on Linux (CI does)'),
    systemRequirement('root', process.getuid?.() === 0, 'network namespaces need root', 'run the tests as root (CI does)'),
    requireSystemTool('ip', { dirs: sbin, searchPath: false, enable: 'apt-get install -y iproute2' }),
    requireSystemTool('nft', { dirs: sbin, searchPath: false, enable: 'apt-get install -y nftables' }),
  );
}

/** One host of the lab: a network namespace on the lab's bridge. */
export interface NetnsHost {
  /** Namespace name. */
  readonly namespace: string;
  /** Its address on the lab network. */
  readonly ip: string;
  /** Runs a process inside the namespace (`ip netns exec`); `stdio` may include 'ipc'. */
  spawn(command: string, args: string[], options?: SpawnOptions): ChildProcess;
  /** Drops every packet from outside the namespace: a partition (the host stays up). */
  partition(): void;
  /** Drops this percentage (0–99) of packets from outside, at random (nftables `numgen random`). */
  loss(percent: number): void;
  /** Removes partition and loss. */
  heal(): void;
}

/** A small network of namespaces behind one bridge, removed by `close()`. */
export interface NetnsLab {
  /** The lab's /24, e.g. `10.213.42.0/24`. */
  readonly subnet: string;
  /** The bridge's (the test process's) address on it. */
  readonly gateway: string;
  /** Adds a namespace host. */
  addHost(name: string): NetnsHost;
  /** Kills what runs in the namespaces and removes them, the veths and the bridge. Idempotent. */
  close(): void;
}

const run = (args: string[]): string => execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const nft = (namespace: string, rule: string[]): void => {
  execFileSync('ip', ['netns', 'exec', namespace, 'nft', ...rule], { stdio: ['ignore', 'pipe', 'pipe'] });
};

/**
 * Builds a lab network for partition and loss tests: a bridge on a random
 * 10.213.x.0/24 and namespaces attached with veth pairs. The whole 10.213/16
 * range gets an `unreachable` route in the host namespace first, so nothing
 * addressed to the lab can ever leave the machine. Needs root, `ip` and `nft`
 * (check `netnsSupport()` first). Faults are nftables rules inside each
 * namespace: the kernel here has no netem.
 */
export function createNetnsLab(): NetnsLab {
  const support = netnsSupport();
  if (!support.ok) throw new Error(`createNetnsLab: ${support.reason}`);
  if (!run(['route', 'show', 'type', 'unreachable']).includes('10.213.0.0/16')) run(['route', 'add', 'unreachable', '10.213.0.0/16']);
  const id = randomInt(1, 250);
  const bridge = `mbr${id}`;
  const gateway = `10.213.${id}.1`;
  run(['link', 'add', bridge, 'type', 'bridge']);
  run(['addr', 'add', `${gateway}/24`, 'dev', bridge]);
  run(['link', 'set', bridge, 'up']);
  const hosts: Array<{ namespace: string; veth: string; children: ChildProcess[] }> = [];
  let closed = false;
  return {
    subnet: `10.213.${id}.0/24`,
    gateway,
    addHost(name) {
      const n = hosts.length + 1;
      const namespace = `mns${id}-${name}`.slice(0, 40);
      const veth = `mv${id}x${n}`;
      const ip = `10.213.${id}.${10 + n}`;
      run(['netns', 'add', namespace]);
      run(['link', 'add', veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', namespace]);
      run(['link', 'set', veth, 'master', bridge, 'up']);
      run(['netns', 'exec', namespace, 'ip', 'addr', 'add', `${ip}/24`, 'dev', 'eth0']);
      run(['netns', 'exec', namespace, 'ip', 'link', 'set', 'eth0', 'up']);
      run(['netns', 'exec', namespace, 'ip', 'link', 'set', 'lo', 'up']);
      nft(namespace, ['add', 'table', 'inet', 'chaos']);
      nft(namespace, ['add', 'chain', 'inet', 'chaos', 'input', '{ type filter hook input priority 0; policy accept; }']);
      const record = { namespace, veth, children: [] as ChildProcess[] };
      hosts.push(record);
      return {
        namespace,
        ip,
        spawn(command, args, options = {}) {
          const child = spawn('ip', ['netns', 'exec', namespace, command, ...args], options);
          record.children.push(child);
          return child;
        },
        partition() {
          nft(namespace, ['flush', 'chain', 'inet', 'chaos', 'input']);
          nft(namespace, ['add', 'rule', 'inet', 'chaos', 'input', 'iifname', 'eth0', 'drop']);
        },
        loss(percent) {
          if (!Number.isInteger(percent) || percent < 0 || percent > 99) throw new Error(`loss: percent must be an integer 0..99, got ${percent}`);
          nft(namespace, ['flush', 'chain', 'inet', 'chaos', 'input']);
          nft(namespace, ['add', 'rule', 'inet', 'chaos', 'input', 'iifname', 'eth0', 'numgen', 'random', 'mod', '100', '<', String(percent), 'drop']);
        },
        heal() {
          nft(namespace, ['flush', 'chain', 'inet', 'chaos', 'input']);
        },
      };
    },
    close() {
      if (closed) return;
      closed = true;
      for (const host of hosts) {
        for (const child of host.children) if (child.exitCode === null) child.kill('SIGKILL');
        try {
          // Anything else still running in the namespace goes too.
          const pids = execFileSync('ip', ['netns', 'pids', host.namespace], { encoding: 'utf8' }).split(/\s+/).filter(Boolean);
          for (const pid of pids) process.kill(Number(pid), 'SIGKILL');
        } catch {
          // already gone
        }
        try {
          run(['link', 'del', host.veth]);
        } catch {
          // removed with the namespace
        }
        try {
          run(['netns', 'del', host.namespace]);
        } catch {
          // already gone
        }
      }
      try {
        run(['link', 'del', bridge]);
      } catch {
        // already gone
      }
    },
  };
}

/**
 * Runs a Node script inside a namespace with an IPC channel and resolves once
 * it sends `{ type: 'ready' }` (the local region worker does); rejects when it
 * exits first or takes longer than `timeoutMillis` (default 10 s).
 */
export function startNodeInNamespace(host: NetnsHost, script: string, env: Record<string, string>, timeoutMillis = 10_000): Promise<ChildProcess> {
  const child = host.spawn(process.execPath, [script], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${script} did not start in ${host.namespace} within ${timeoutMillis} ms`)), timeoutMillis);
    child.on('message', (m: { type?: string }) => {
      if (m?.type !== 'ready') return;
      clearTimeout(timer);
      resolve(child);
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited with ${code} in ${host.namespace}`));
    });
  });
}
