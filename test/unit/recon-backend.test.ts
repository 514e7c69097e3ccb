/**
 * The compute backend choice: wasm loads here (the native packages cannot install), gets our
 * gradient kernels, passes the gradient check, and is reported as a degraded state exactly once.
 */
import type * as TF from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { announceDegradation, backendDegradation, chooseBackend, type BackendChoice } from '../../src/recon/backend.js';

const fake = (overrides: Partial<BackendChoice>): BackendChoice => ({
  name: 'wasm',
  skipped: [],
  tf: {} as typeof TF,
  kernels: [],
  gradients: { verified: true, worstRelativeError: 1e-4, detail: 'directional derivatives agree within 1.0e-4' },
  initMs: 1,
  ...overrides,
});

describe('chooseBackend', () => {
  it('loads wasm with gradient kernels registered and verified, once per process', async () => {
    const choice = await chooseBackend('wasm');
    expect(choice.name).toBe('wasm');
    expect(choice.tf.getBackend()).toBe('wasm');
    expect(choice.kernels).toEqual(expect.arrayContaining(['Conv2DBackpropFilter', 'DepthwiseConv2dNativeBackpropInput', 'DepthwiseConv2dNativeBackpropFilter', 'MaxPoolGrad']));
    expect(choice.gradients.verified).toBe(true);
    expect(await chooseBackend('cpu')).toBe(choice);
    // Asked for by name, wasm is no fallback.
    expect(backendDegradation(choice)).toBeNull();
  });
});

describe('backendDegradation', () => {
  const nativeSkipped = [
    { name: 'tensorflow-gpu' as const, reason: "Cannot find package '@tensorflow/tfjs-node-gpu'" },
    { name: 'tensorflow' as const, reason: "Cannot find package '@tensorflow/tfjs-node'" },
  ];

  it('flags a fall back from native TensorFlow to wasm, with the reasons', () => {
    const degradation = backendDegradation(fake({ skipped: nativeSkipped }));
    expect(degradation).toMatchObject({ backend: 'wasm', kind: 'fallback' });
    expect(degradation?.message).toContain('tfjs-node');
  });

  it('does not flag native TensorFlow on a machine without a GPU', () => {
    expect(backendDegradation(fake({ name: 'tensorflow', skipped: nativeSkipped.slice(0, 1) }))).toBeNull();
  });

  it('flags gradients that failed their check, whatever the backend', () => {
    const gradients = { verified: false, worstRelativeError: Infinity, detail: 'gradient failed: boom' };
    expect(backendDegradation(fake({ name: 'tensorflow', gradients }))).toMatchObject({ kind: 'gradients' });
  });

  it('announces the degraded state only the first time', () => {
    const said: string[] = [];
    const choice = fake({ name: 'cpu', skipped: nativeSkipped });
    expect(announceDegradation(choice, (d) => said.push(d.message))).not.toBeNull();
    expect(announceDegradation(choice, (d) => said.push(d.message))).not.toBeNull();
    expect(said).toHaveLength(1);
  });
});
