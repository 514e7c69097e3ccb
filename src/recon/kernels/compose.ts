/**
 * Running a backend's own kernels from inside a kernel we register, the way backends build their
 * composite kernels: straight through the kernel registry, not through tf ops. Going through ops
 * would put the inner steps on the gradient tape and in the profiler, and their results would be
 * engine tensors that the outer kernel could not hand back without copying.
 *
 * Every intermediate result is backend data with a reference count of one (a reshape shares the
 * data of its input and adds a reference), so each is released with `free` exactly once, and the
 * kernel's final result is the one thing it does not free.
 */
import type * as TF from '@tensorflow/tfjs';

export type TensorInfo = TF.TensorInfo;
export type Attrs = TF.NamedAttrMap;

/** The one backend method composite kernels need beyond the kernels themselves. */
interface DisposingBackend {
  disposeData(dataId: object, force?: boolean): boolean;
}

export interface Composer {
  /** Runs `kernelName` of this backend on backend data; Concat-like kernels take an array. */
  run(kernelName: string, inputs: Record<string, TensorInfo> | TensorInfo[], attrs?: Attrs): TensorInfo;
  /** Shares the data of `x` under a new shape (one more reference to release). */
  reshape(x: TensorInfo, shape: readonly number[]): TensorInfo;
  /** Releases intermediate results; `null` entries are skipped so optional steps need no branches. */
  free(...infos: (TensorInfo | null)[]): void;
}

function isDisposing(backend: object): backend is DisposingBackend {
  return typeof (backend as Partial<DisposingBackend>).disposeData === 'function';
}

export function composer(tf: typeof TF, backendName: string, backend: object): Composer {
  if (!isDisposing(backend)) throw new Error(`backend "${backendName}" cannot release data`);
  const run = (kernelName: string, inputs: Record<string, TensorInfo> | TensorInfo[], attrs: Attrs = {}): TensorInfo => {
    const config = tf.getKernel(kernelName, backendName);
    if (!config) throw new Error(`kernel ${kernelName} is not registered for backend "${backendName}"`);
    // Concat and Pack read their inputs as an array, which is how tf ops hand them over too.
    const out = config.kernelFunc({ inputs: inputs as TF.NamedTensorInfoMap, backend, attrs });
    if (Array.isArray(out)) throw new Error(`kernel ${kernelName} returned ${out.length} results, expected one`);
    return out;
  };
  return {
    run,
    reshape: (x, shape) => run('Reshape', { x }, { shape: [...shape] }),
    free: (...infos) => {
      for (const info of infos) if (info) backend.disposeData(info.dataId);
    },
  };
}

/** `[a, b]` from a number or a pair, as tfjs attributes allow either. */
export function pair(value: number | readonly number[] | undefined, fallback = 1): [number, number] {
  if (value === undefined) return [fallback, fallback];
  if (typeof value === 'number') return [value, value];
  return [value[0] ?? fallback, value[1] ?? value[0] ?? fallback];
}
