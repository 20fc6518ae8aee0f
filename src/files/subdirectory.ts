import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { IngestError } from '../errors.js';

/** A subfolder of the destination (`annotations/`, `masks/`), created once, on the first copy into it. */
export class Subdirectory {
  private ready: Promise<void> | null = null;

  constructor(
    private readonly destination: string,
    /** The folder's name, also the prefix of the destination names of the files copied into it. */
    readonly name: string,
  ) {}

  /** The destination name of `file` inside this folder. */
  entry(file: string): string {
    return `${this.name}/${file}`;
  }

  ensure(): Promise<void> {
    this.ready ??= mkdir(path.join(this.destination, this.name), { recursive: true }).then(
      () => undefined,
      (err: unknown) => {
        this.ready = null;
        throw new IngestError('FILE_COPY_FAILED', `creating the ${this.name}/ folder failed (${(err as NodeJS.ErrnoException).code ?? 'error'})`, {
          file: path.join(this.destination, this.name),
        });
      },
    );
    return this.ready;
  }
}
