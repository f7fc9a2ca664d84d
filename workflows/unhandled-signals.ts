/**
 * Signals a workflow has no handler for: audited as refused, never a failed workflow task.
 */
import { CancellationScope, condition, setDefaultSignalHandler } from '@temporalio/workflow';

const RESERVED_SIGNAL = /^Cannot use signal name: '([\s\S]*)', with reserved prefix/;

/**
 * Signals this workflow has no handler for (an unknown name, a typo, an approval sent to the wrong
 * task, a name with Temporal's reserved `__temporal_` prefix) are handed to `refuse`, which audits
 * them, and never fail a workflow task.
 *
 * Not through a permanent `setDefaultSignalHandler`: with one set, the SDK (1.24) throws on any
 * signal named `__temporal_…` while activating the workflow, so one such signal, sent from the UI
 * or CLI, fails every workflow task from then on and the launch is stuck for good. Instead the SDK
 * keeps unhandled signals buffered, and after every activation job (condition predicates run after
 * each job, on replay too, so this is deterministic) a default handler is set just long enough to
 * take them out of the buffer; a reserved name throws on dispatch after leaving the buffer and is
 * refused the same way. Call after the workflow's own handlers are registered.
 */
export function refuseUnhandledSignals(refuse: (name: string, raw: unknown) => void) {
  let armed = false;
  const drain = (): false => {
    // The eager first evaluation happens while the workflow is still registering its handlers.
    if (!armed) {
      armed = true;
      return false;
    }
    for (let round = 0; round < 10_000; round += 1) {
      try {
        setDefaultSignalHandler((name: string, ...args: unknown[]) => refuse(name, args[0]));
        break;
      } catch (err) {
        const name = RESERVED_SIGNAL.exec(err instanceof Error ? err.message : '')?.[1];
        refuse(name ?? '(reserved signal name)', undefined);
      }
    }
    setDefaultSignalHandler(undefined);
    return false;
  };
  void CancellationScope.nonCancellable(() => condition(drain)).catch(() => undefined);
}
