/** Whether a process with `pid` exists (signal 0 probes without touching it). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Waits (bounded) for every pid to be gone and returns the survivors; an empty
 * array means no leak. Polls every 20 ms up to `timeoutMillis` (default 3000),
 * since a killed child needs a moment to be reaped.
 */
export async function findLeakedProcesses(pids: number[], timeoutMillis = 3000): Promise<number[]> {
  const deadline = Date.now() + timeoutMillis;
  let alive = pids.filter(isProcessAlive);
  while (alive.length > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    alive = alive.filter(isProcessAlive);
  }
  return alive;
}
