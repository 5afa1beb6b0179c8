/** Resolves with the first of SIGINT / SIGTERM, or 'timeout' after `ms` (when given). */
export function waitForSignal(ms?: number): Promise<'SIGINT' | 'SIGTERM' | 'timeout'> {
  return new Promise((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    const done = (s: 'SIGINT' | 'SIGTERM' | 'timeout'): void => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      if (timer !== undefined) clearTimeout(timer);
      resolve(s);
    };
    const onInt = (): void => done('SIGINT');
    const onTerm = (): void => done('SIGTERM');
    process.once('SIGINT', onInt);
    process.once('SIGTERM', onTerm);
    if (ms !== undefined) timer = setTimeout(() => done('timeout'), ms);
  });
}
