import type { DestinationStream } from 'pino';

const LEVELS: Readonly<Record<number, string>> = {
  10: 'trace',
  20: 'debug',
  30: 'info ',
  40: 'WARN ',
  50: 'ERROR',
  60: 'FATAL',
};
const OMIT = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'name']);

/** A pino destination for humans: `12:00:01 info  message key=value`, one line per record. */
export function ttyDestination(out: NodeJS.WritableStream): DestinationStream {
  return {
    write(line: string) {
      let rec: Record<string, unknown>;
      try {
        rec = JSON.parse(line) as Record<string, unknown>;
      } catch {
        out.write(line);
        return;
      }
      const time = new Date(typeof rec['time'] === 'number' ? rec['time'] : Date.now()).toISOString().slice(11, 19);
      const level = LEVELS[typeof rec['level'] === 'number' ? rec['level'] : 30] ?? 'info ';
      const extras = Object.entries(rec)
        .filter(([k]) => !OMIT.has(k))
        .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
        .join(' ');
      out.write(`${time} ${level} ${String(rec['msg'] ?? '')}${extras ? `  ${extras}` : ''}\n`);
    },
  };
}
