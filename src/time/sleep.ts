// Waiting that a component's stop() can cut short.

/**
 * Resolves after `ms`, or at once when `signal` aborts (already aborted: at once). Its timer and
 * its listener go either way: a component that sleeps millions of times over the years leaves
 * nothing behind on its signal.
 */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done);
  });
}
