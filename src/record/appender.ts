/**
 * An append-only file written in the background, in call order, with fsync at most every
 * `syncIntervalMs` and once more on close.
 *
 * Appends never block the caller (the pipeline must not wait on the disk); writes are chained so
 * that they land in order. Syncing on every write would cost a disk flush per TR per file; syncing
 * on a timer bounds what a power cut can lose to that interval, and a crash of the process alone
 * loses nothing the kernel already has.
 */
import { open, type FileHandle } from 'node:fs/promises';

export class Appender {
  private chain: Promise<void> = Promise.resolve();
  private dirty = false;
  private lastSync = 0;
  private syncTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private failure: Error | undefined;

  private constructor(
    private readonly handle: FileHandle,
    private readonly syncIntervalMs: number,
    private readonly onError: (error: Error) => void,
  ) {}

  /** `wx`: the file must not exist yet (a recording is never appended to by two sessions). */
  static async create(file: string, syncIntervalMs: number, onError: (error: Error) => void, head?: Uint8Array): Promise<Appender> {
    const appender = new Appender(await open(file, 'wx'), syncIntervalMs, onError);
    if (head) appender.append(head);
    return appender;
  }

  /**
   * Appends to an existing file (a session resumed after a crash). The caller has cut any torn tail
   * first (Recorder.reopen): an entry appended after a torn one would never be read back.
   */
  static async reopen(file: string, syncIntervalMs: number, onError: (error: Error) => void): Promise<Appender> {
    return new Appender(await open(file, 'a'), syncIntervalMs, onError);
  }

  get error(): Error | undefined {
    return this.failure;
  }

  append(chunk: Uint8Array | string): void {
    if (this.closed || this.failure) return;
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    this.enqueue(async () => {
      let done = 0;
      while (done < bytes.byteLength) done += (await this.handle.write(bytes, done, bytes.byteLength - done)).bytesWritten;
      this.dirty = true;
      this.scheduleSync();
    });
  }

  /** Resolves when every append so far is written (handed to the kernel, not necessarily synced). */
  flush(): Promise<void> {
    return this.chain;
  }

  async close(): Promise<void> {
    if (this.closed) return this.chain;
    this.closed = true;
    if (this.syncTimer) clearTimeout(this.syncTimer);
    this.enqueue(async () => {
      if (this.dirty) await this.handle.sync();
    });
    await this.chain;
    await this.handle.close().catch(() => undefined);
  }

  private enqueue(step: () => Promise<void>): void {
    this.chain = this.chain
      .then(() => (this.failure ? undefined : step()))
      .catch((error: Error) => {
        if (this.failure) return;
        this.failure = error;
        this.onError(error);
      });
  }

  private scheduleSync(): void {
    if (this.syncTimer || this.closed) return;
    const wait = Math.max(0, this.lastSync + this.syncIntervalMs - Date.now());
    this.syncTimer = setTimeout(() => {
      this.syncTimer = undefined;
      this.enqueue(async () => {
        if (!this.dirty) return;
        this.dirty = false;
        this.lastSync = Date.now();
        await this.handle.sync();
      });
    }, wait);
    this.syncTimer.unref();
  }
}
