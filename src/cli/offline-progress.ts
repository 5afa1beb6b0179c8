import type {
  OfflinePhase,
  OfflineProgress,
  PhaseTiming,
  ProgressFn,
} from '../offline/progress.js';

const LABEL: Record<OfflinePhase, string> = {
  labels: 'loading labels',
  join: 'point-in-time join',
  write: 'writing output',
  score: 'scoring',
  sample: 'sampling online',
  compare: 'comparing with history',
};

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
const secs = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

function bar(done: number, total: number, width = 24): string {
  const f = Math.max(0, Math.min(1, total > 0 ? done / total : 0));
  const full = Math.round(f * width);
  return `[${'█'.repeat(full)}${'░'.repeat(width - full)}] ${Math.floor(f * 100)}%`;
}

function describe(p: OfflineProgress): string {
  const parts = [LABEL[p.phase]];
  if (p.totalOutputRows !== undefined && p.rows !== undefined)
    parts.push(`${bar(p.rows, p.totalOutputRows)} ${fmt(p.rows)} / ${fmt(p.totalOutputRows)} rows`);
  else if (p.totalRows !== undefined && p.totalRows > 0 && p.readRows !== undefined)
    parts.push(
      `${bar(p.readRows, p.totalRows)} ${fmt(p.readRows)} / ${fmt(p.totalRows)} rows read`,
    );
  else if (p.readRows !== undefined && p.readRows > 0) parts.push(`${fmt(p.readRows)} rows read`);
  parts.push(secs(p.elapsedMs));
  return parts.join(' · ');
}

/**
 * Progress of offline commands on stderr: on a terminal, one live line per phase (a bar when the
 * engine reports totals — ClickHouse servers do through system.processes, the embedded engine only
 * reports elapsed time); elsewhere a line when a phase ends and every 10 s while it runs.
 */
export function progressPrinter(
  out: NodeJS.WriteStream = process.stderr,
  enabled = true,
): ProgressFn {
  if (!enabled) return () => undefined;
  const tty = out.isTTY;
  let lastLine = 0;
  return (p) => {
    if (p.state === 'start') {
      lastLine = performance.now();
      if (tty) out.write(`\r\x1b[K${LABEL[p.phase]} …`);
      return;
    }
    if (p.state === 'running') {
      if (tty) out.write(`\r\x1b[K${describe(p)}`);
      else if (performance.now() - lastLine >= 10_000) {
        lastLine = performance.now();
        out.write(`${describe(p)}\n`);
      }
      return;
    }
    out.write(`${tty ? '\r\x1b[K' : ''}${LABEL[p.phase]}: done in ${secs(p.elapsedMs)}\n`);
  };
}

/** `labels 0.4 s · join 2.1 s · write 0.1 s` */
export function timingSummary(phases: readonly PhaseTiming[]): string {
  return phases.map((p) => `${p.phase} ${secs(p.ms)}`).join(' · ');
}
