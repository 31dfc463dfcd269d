/** What `stopOnSignals` needs of a process: `process` itself, or a stand-in in tests. */
export interface SignalTarget {
  readonly pid: number;
  on(signal: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown;
  off(signal: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown;
  kill(pid: number, signal: NodeJS.Signals): unknown;
}

const STOP_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];

/**
 * Turns SIGINT and SIGTERM into a graceful stop of a foreground service: the first aborts `controller` with the
 * signal's name as its reason; a second one removes these listeners and raises the signal again, so its default
 * action ends the process at once (an operator's Ctrl-C twice). Returns the function that removes the listeners.
 */
export function stopOnSignals(controller: AbortController, target: SignalTarget = process): () => void {
  const onSignal = (signal: NodeJS.Signals): void => {
    if (!controller.signal.aborted) {
      controller.abort(signal);
      return;
    }
    remove();
    target.kill(target.pid, signal);
  };
  const remove = (): void => {
    for (const signal of STOP_SIGNALS) target.off(signal, onSignal);
  };
  for (const signal of STOP_SIGNALS) target.on(signal, onSignal);
  return remove;
}
