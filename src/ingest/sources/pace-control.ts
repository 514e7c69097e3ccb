/**
 * The pace of a replay, changeable while it runs: pause, resume, another speed. The operator in the
 * scanner room pauses a replay to talk to the participant, or runs a recording faster to get to
 * the part that matters; `paced` (pace.ts) reads this control before every release.
 *
 * Listeners hear every change with the state before and after it, so that the pacer can rebase its
 * timeline: the run time reached so far stays where it is, and only what follows moves.
 */

export interface PaceState {
  /** Multiple of the scanner's pace; 0 = as fast as possible. */
  readonly speed: number;
  readonly paused: boolean;
}

export type PaceListener = (before: PaceState, after: PaceState) => void;

export class PaceControl {
  private current: PaceState;
  private readonly listeners = new Set<PaceListener>();

  constructor(speed: number) {
    this.current = { speed, paused: false };
  }

  get state(): PaceState {
    return this.current;
  }

  pause(): PaceState {
    return this.change({ paused: true });
  }

  resume(): PaceState {
    return this.change({ paused: false });
  }

  setSpeed(speed: number): PaceState {
    if (!Number.isFinite(speed) || speed < 0) throw new RangeError(`speed must be a finite number >= 0, got ${speed}`);
    return this.change({ speed });
  }

  /** Returns the function that removes the listener. */
  onChange(listener: PaceListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private change(change: Partial<PaceState>): PaceState {
    const before = this.current;
    const after = { ...before, ...change };
    if (after.speed === before.speed && after.paused === before.paused) return before;
    this.current = after;
    for (const listener of [...this.listeners]) listener(before, after);
    return after;
  }
}
