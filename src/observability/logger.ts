import type { Logger } from '../ports/logger.js';

const LEVELS = { debug: 10, info: 20, warn: 30, error: 40 } as const;
type Level = keyof typeof LEVELS;

/** A logger writing one line per entry to stderr: `time level [namespace] message key=value`. */
export function consoleLogger(
  namespace = 'featurestream',
  level: Level = (process.env.FS_LOG_LEVEL as Level | undefined) ?? 'info',
): Logger {
  const min = LEVELS[level] ?? LEVELS.info;
  const write = (l: Level, msg: string, fields?: Record<string, unknown>): void => {
    if (LEVELS[l] < min) return;
    const extra =
      fields === undefined
        ? ''
        : Object.entries(fields)
            .map(([k, v]) => ` ${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
            .join('');
    process.stderr.write(
      `${new Date().toISOString()} ${l.toUpperCase().padEnd(5)} [${namespace}] ${msg}${extra}\n`,
    );
  };
  return {
    debug: (m, f) => write('debug', m, f),
    info: (m, f) => write('info', m, f),
    warn: (m, f) => write('warn', m, f),
    error: (m, f) => write('error', m, f),
    child: (ns) => consoleLogger(`${namespace}:${ns}`, level),
  };
}
