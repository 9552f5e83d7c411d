import type { Step } from '@meridian/core/spi';

/**
 * A migration's `transfer` and `restore` steps, run together. The restore
 * needs only the snapshot bytes held in memory (it verifies them), not the
 * store's copy, so it starts with the store write instead of after it: the
 * write's fsync and the restore's work overlap. They are still reported as two
 * steps in their usual order (`transfer` ends when the store acknowledged the
 * write, `restore` when the target holds the copy), and the move is committed
 * (`activate`) only after both, so the snapshot is durable before the session
 * moves, as before.
 *
 * A copy restored ahead of its step is the transfer's to remove until the
 * restore step takes it over: when the write fails, and in the transfer's undo
 * when the migration stops before the restore step ran. That copy is
 * suspended (a restore never serves), so it is never active beside the source.
 */
export function overlappedTransfer(write: (signal: AbortSignal) => Promise<string>, restore: Step): [transfer: Step, restore: Step] {
  let restoring: Promise<string | void | { skipped: string }> | undefined;
  let restoreStepRan = false;
  const dropEarlyCopy = async (): Promise<void> => {
    if (!restoring || restoreStepRan) return;
    const landed = await restoring.then(
      () => true,
      () => false,
    );
    if (landed) await restore.undo?.();
  };
  return [
    {
      name: 'transfer',
      run: async (signal) => {
        restoring = restore.run(signal);
        // A failed restore is reported by the restore step, or dropped with the transfer that failed first.
        restoring.catch(() => undefined);
        try {
          const detail = await write(signal);
          if (signal.aborted) throw signal.reason;
          return detail;
        } catch (error) {
          // The write's error is what the migration reports; a copy that cannot be removed now stays suspended.
          await dropEarlyCopy().catch(() => undefined);
          throw error;
        }
      },
      undo: dropEarlyCopy,
    },
    {
      ...restore,
      run: () => {
        restoreStepRan = true;
        return restoring!;
      },
    },
  ];
}
