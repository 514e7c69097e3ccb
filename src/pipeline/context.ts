/**
 * What travels between pipeline operators: one TR being processed, or a TR that already failed.
 * Each operator adds its part to the context; to-record.ts turns it into the contract's record.
 */
import type { Warning } from '../errors.js';
import type { Decoded, Trial } from '../generated/boldstream.js';
import type { MotionEstimate } from '../preprocess/motion/index.js';
import type { ErrorRecord } from '../session/types.js';
import type { Volume } from '../volume.js';

export interface TrContext {
  readonly tr: number;
  readonly volume: Volume;
  /** Seconds since the start of the run on the scanner clock (TR 0 at 0); drives trials. */
  runTime: number;
  /** performance.now() when the volume entered the pipeline; stage latencies are measured from it. */
  readonly startedAt: number;
  readonly warnings: Warning[];
  readonly latencyMs: Record<string, number>;
  nonfiniteVoxels: number;
  motion?: MotionEstimate;
  framewiseDisplacement?: number;
  /** Realigned voxel values on the session's voxel list (union of all masks), reference grid. */
  voxels?: Float32Array;
  /** Running z-scores of `voxels`. */
  z?: Float32Array;
  warmingUp?: boolean;
  roi?: Record<string, number>;
  decoded?: Decoded;
  trial?: Trial;
}

export type PipelineItem = { readonly kind: 'tr'; readonly ctx: TrContext } | { readonly kind: 'failed'; readonly record: ErrorRecord };
