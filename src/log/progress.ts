import type { Logger } from 'pino';

/**
 * Progress of a pass: a redrawn bar on a TTY, otherwise a log line every `intervalMs`.
 * Reports counts only, never record content.
 */
export class Progress {
  private lastLog = 0;
  private drawn = false;

  constructor(
    private readonly label: string,
    private readonly total: number | null,
    private readonly logger: Logger,
    private readonly tty: NodeJS.WriteStream | null,
    private readonly intervalMs = 5000,
  ) {}

  update(done: number): void {
    const now = Date.now();
    if (this.tty) {
      if (now - this.lastLog < 100) return;
      this.lastLog = now;
      this.tty.write(`\r${this.bar(done)}`);
      this.drawn = true;
      return;
    }
    if (now - this.lastLog < this.intervalMs) return;
    if (this.lastLog !== 0) this.logger.info({ pass: this.label, done, total: this.total }, `${this.label}: ${done} records`);
    this.lastLog = now;
  }

  end(done: number): void {
    if (this.tty && this.drawn) this.tty.write(`\r${this.bar(done)}\n`);
  }

  private bar(done: number): string {
    if (this.total === null || this.total === 0) return `${this.label}: ${done} records`;
    const width = 30;
    const fraction = Math.min(1, done / this.total);
    const filled = Math.round(fraction * width);
    return `${this.label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}% ${done}/${this.total}`;
  }
}
