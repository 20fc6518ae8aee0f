/**
 * Runs async tasks with at most `limit` in flight; `add` waits while the window is full, so a
 * producer feeding it is slowed to the pace of the tasks (backpressure).
 */
export class TaskWindow {
  private readonly running = new Set<Promise<void>>();

  constructor(private readonly limit: number) {}

  async add(task: () => Promise<void>): Promise<void> {
    while (this.running.size >= this.limit) await Promise.race(this.running);
    const p: Promise<void> = task().finally(() => this.running.delete(p));
    this.running.add(p);
  }

  async drain(): Promise<void> {
    while (this.running.size > 0) await Promise.race(this.running);
  }
}
