import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log/logger.js';
import { Progress } from '../../src/log/progress.js';

function sink(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _enc, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  return { stream, text: () => chunks.join('') };
}

describe('logger', () => {
  it('writes pino JSON and redacts tokens and passwords wherever they appear', () => {
    const out = sink();
    const log = createLogger({ stream: out.stream });
    log.info({ token: 'tok-123', password: 'pw-456', env: { BACKEND_TOKEN: 'tok-789', DB_PASSWORD: 'pw-000' }, headers: { authorization: 'TOKEN x' } }, 'hello');
    const line = JSON.parse(out.text().trim()) as Record<string, unknown>;
    expect(line['msg']).toBe('hello');
    expect(line['level']).toBe(30);
    for (const secret of ['tok-123', 'pw-456', 'tok-789', 'pw-000', 'TOKEN x']) expect(out.text()).not.toContain(secret);
    expect(out.text()).toContain('[redacted]');
  });

  it('prints readable lines for a terminal', () => {
    const out = sink();
    createLogger({ stream: out.stream, pretty: true }).warn({ table: 'cars' }, 'careful');
    expect(out.text()).toMatch(/^\d\d:\d\d:\d\d WARN  careful {2}table=cars\n$/);
  });

  it('honours LOG_LEVEL and ignores an unknown one', () => {
    const quiet = sink();
    createLogger({ stream: quiet.stream, level: 'error' }).info('hidden');
    expect(quiet.text()).toBe('');
    const unknown = sink();
    createLogger({ stream: unknown.stream, level: 'shouting' }).info('shown');
    expect(unknown.text()).toContain('shown');
  });
});

describe('progress', () => {
  it('logs a count line every interval when not on a terminal, and never record content', async () => {
    const out = sink();
    const progress = new Progress('write', 100, createLogger({ stream: out.stream }), null, 20);
    progress.update(1);
    await new Promise((r) => setTimeout(r, 30));
    progress.update(50);
    const lines = out.text().trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ pass: 'write', done: 50, total: 100, msg: 'write: 50 records' });
  });

  it('draws a bar on a terminal', () => {
    const written: string[] = [];
    const tty = { write: (s: string) => (written.push(s), true) } as unknown as NodeJS.WriteStream;
    const progress = new Progress('check', 10, createLogger({ level: 'silent' }), tty);
    progress.update(5);
    progress.end(10);
    expect(written.join('')).toContain('check [###############...............]  50% 5/10');
    expect(written.at(-1)).toMatch(/100% 10\/10\n$/);
  });
});
