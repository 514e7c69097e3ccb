/**
 * Model routes.
 *
 *   GET  /models         {models: [{name, files: [{name, bytes}]}]}
 *   POST /models/:name   {files: {<file name>: bytes}} → 201 {name, files}
 *
 * The body is msgpack (bytes binary) or JSON (bytes base64). The bundle is checked by its own reader
 * (bundleFromFiles for classifiers, featureBundleFromFiles for `kind: "features"`) before anything is
 * written, so a bundle that would fail to load mid-session is refused at upload with MODEL_INVALID.
 */
import type { FastifyInstance } from 'fastify';
import { BoldstreamError } from '../../errors.js';
import { bundleFromFiles } from '../../decode/bundle.js';
import { BUNDLE_JSON } from '../../decode/bundle-format.js';
import { featureBundleFromFiles } from '../../decode/features/bundle.js';
import { FEATURE_BUNDLE_KIND } from '../../decode/features/bundle-format.js';
import { bodyBytesForm } from '../body.js';
import { listModels, storeModel } from '../models-store.js';
import { assertSafeName } from '../paths.js';
import { isPlainObject } from '../validate.js';

const MAX_FILES = 64;
const base64Pattern = /^[A-Za-z0-9+/]*={0,2}$/;

export interface ModelRouteOptions {
  readonly modelsDir: string;
  readonly bodyLimit: number;
}

const bad = (detail: string) => new BoldstreamError('HTTP_BAD_REQUEST', detail);

function uploadedFiles(body: unknown, form: 'binary' | 'base64'): Map<string, Uint8Array> {
  if (!isPlainObject(body) || !isPlainObject(body.files)) throw bad('body: expected {files: {name: bytes}}');
  const extra = Object.keys(body).filter((k) => k !== 'files');
  if (extra.length > 0) throw bad(`body.${extra[0]}: unknown field`);
  const entries = Object.entries(body.files);
  if (entries.length === 0 || entries.length > MAX_FILES) throw bad(`body.files: 1 to ${MAX_FILES} files expected, got ${entries.length}`);
  const files = new Map<string, Uint8Array>();
  for (const [name, value] of entries) {
    assertSafeName(name, 'file name');
    if (form === 'binary' && value instanceof Uint8Array) files.set(name, value);
    else if (form === 'base64' && typeof value === 'string' && base64Pattern.test(value)) files.set(name, new Uint8Array(Buffer.from(value, 'base64')));
    else throw bad(`body.files[${JSON.stringify(name)}]: expected ${form === 'binary' ? 'binary data' : 'a base64 string'}`);
  }
  return files;
}

/** The `kind` bundle.json declares; the readers refuse anything malformed themselves. */
function declaredKind(files: ReadonlyMap<string, Uint8Array>): unknown {
  const json = files.get(BUNDLE_JSON);
  if (!json) return undefined;
  try {
    const parsed: unknown = JSON.parse(new TextDecoder().decode(json));
    return isPlainObject(parsed) ? parsed.kind : undefined;
  } catch {
    return undefined;
  }
}

export async function modelRoutes(app: FastifyInstance, options: ModelRouteOptions): Promise<void> {
  app.get('/models', async () => ({ models: await listModels(options.modelsDir) }));

  app.post<{ Params: { name: string } }>('/models/:name', { bodyLimit: options.bodyLimit }, async (request, reply) => {
    const name = assertSafeName(request.params.name, 'model name');
    const files = uploadedFiles(request.body, bodyBytesForm(request));
    if (declaredKind(files) === FEATURE_BUNDLE_KIND) featureBundleFromFiles(Object.fromEntries(files));
    else bundleFromFiles(Object.fromEntries(files));
    const stored = await storeModel(options.modelsDir, name, files);
    request.log.info({ model: name, files: stored.files.length }, 'model bundle stored');
    return reply.status(201).send(stored);
  });
}
