/**
 * Reading a tfjs model (model.json + binary weight shards, as tensorflowjs_converter writes them)
 * from the file system, with no network access.
 *
 * tfjs's own `file://` handler comes with tfjs-node, which is an optional dependency that may not be
 * installed; tf.io.http would need a server. This handler reads the files directly and gives tfjs
 * the same artifacts, for layers models and graph models alike.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type * as TF from '@tensorflow/tfjs';
import { BoldstreamError } from '../../errors.js';

async function readOrThrow(file: string, what: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (thrown) {
    const code = (thrown as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new BoldstreamError('FEATURE_NETWORK_NOT_FOUND', `${what} ${file}`, { cause: thrown });
    throw new BoldstreamError('FEATURE_NETWORK_INVALID', `${what} ${file} cannot be read: ${code ?? String(thrown)}`, { cause: thrown });
  }
}

/** Parses model.json and checks the fields every tfjs model has. */
export async function readModelJson(modelJsonPath: string): Promise<TF.io.ModelJSON> {
  const text = (await readOrThrow(modelJsonPath, 'model.json')).toString('utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (thrown) {
    throw new BoldstreamError('FEATURE_NETWORK_INVALID', `${modelJsonPath} is not JSON`, { cause: thrown });
  }
  if (typeof json !== 'object' || json === null || !('modelTopology' in json) || typeof json.modelTopology !== 'object') {
    throw new BoldstreamError('FEATURE_NETWORK_INVALID', `${modelJsonPath} has no modelTopology (is it a tfjs model.json?)`);
  }
  const manifest = (json as { weightsManifest?: unknown }).weightsManifest;
  if (!Array.isArray(manifest) || !manifest.every((g: unknown) => isWeightGroup(g))) {
    throw new BoldstreamError('FEATURE_NETWORK_INVALID', `${modelJsonPath} has no valid weightsManifest`);
  }
  return json as TF.io.ModelJSON;
}

function isWeightGroup(g: unknown): boolean {
  if (typeof g !== 'object' || g === null) return false;
  const { paths, weights } = g as { paths?: unknown; weights?: unknown };
  return Array.isArray(paths) && paths.every((p) => typeof p === 'string') && Array.isArray(weights);
}

/**
 * A shard path must stay inside the model's folder: model.json comes from whoever supplied the
 * network, and a path like `../../secret` should not make us read other files.
 */
function shardPath(dir: string, shard: string): string {
  const resolved = path.resolve(dir, shard);
  if (path.isAbsolute(shard) || path.relative(dir, resolved).startsWith('..')) {
    throw new BoldstreamError('FEATURE_NETWORK_INVALID', `weight shard "${shard}" is outside the model folder`);
  }
  return resolved;
}

const toArrayBuffer = (b: Buffer): ArrayBuffer => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;

/** An IOHandler that loads `model.json` and its shards (paths relative to model.json) from disk. */
export function fileModelHandler(tf: typeof TF, modelJsonPath: string): TF.io.IOHandler {
  const dir = path.dirname(path.resolve(modelJsonPath));
  return {
    load: async () => {
      const json = await readModelJson(modelJsonPath);
      return tf.io.getModelArtifactsForJSON(json, async (manifest) => {
        const specs = manifest.flatMap((group) => group.weights);
        const shards = await Promise.all(manifest.flatMap((group) => group.paths).map((p) => readOrThrow(shardPath(dir, p), 'weight shard')));
        // Shards may split a weight anywhere; tfjs reads the list as one buffer.
        return [specs, shards.map(toArrayBuffer)];
      });
    },
  };
}
