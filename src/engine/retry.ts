/** Exponential backoff with full jitter, capped: attempt 0 → ~base, doubling up to `maxMs`. */
export function backoffMs(
  attempt: number,
  baseMs = 200,
  maxMs = 10_000,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 20));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Runs `fn` until it succeeds, waiting with backoff between attempts, calling `onRetry` with
 * each failure (logging, heartbeats, metrics). Gives up only when `shouldStop()` turns true.
 */
export async function retryForever<T>(
  fn: () => Promise<T>,
  onRetry: (err: unknown, attempt: number, waitMs: number) => Promise<void> | void,
  shouldStop: () => boolean = () => false,
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (shouldStop()) throw err;
      const wait = backoffMs(attempt);
      await onRetry(err, attempt, wait);
      await sleep(wait);
    }
  }
}
