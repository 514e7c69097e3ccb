/**
 * The stall warning (K27): once volumes have started to arrive, a gap of `afterMs` without a new one
 * raises SOURCE_STALLED, once per stall; the next volume re-arms it.
 *
 * It runs on its own timer, not inside the poll, because the usual cause of a stall is exactly what
 * can hang a poll: a network share that stopped answering.
 */
import { type Warning, warning } from '../../errors.js';

export class StallWatch {
  private timer: NodeJS.Timeout | null = null;
  private lastAt = 0;
  private lastIndex = -1;

  constructor(
    private readonly afterMs: number,
    private readonly report: (notice: Warning) => void,
  ) {}

  /** A volume arrived: the wait starts again. */
  volume(index: number): void {
    this.lastAt = Date.now();
    this.lastIndex = Math.max(this.lastIndex, index);
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      const seconds = ((Date.now() - this.lastAt) / 1000).toFixed(1);
      this.report(warning('SOURCE_STALLED', `no new volume for ${seconds} s; the newest so far is TR ${this.lastIndex}`));
    }, this.afterMs);
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
