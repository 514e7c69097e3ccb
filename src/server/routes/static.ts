/**
 * The minimal web viewer from clients/web/, served without a build step: GET / is index.html,
 * GET /<file> any other file of that folder with a known type. Only plain names are served
 * (no folders), so a request can never reach a file outside it.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { BoldstreamError } from '../../errors.js';

const types: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};
const fileName = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}$/;

/** Beside src/ in the repository and beside dist/ in the package (package.json ships clients/web). */
export const defaultWebDir = fileURLToPath(new URL('../../../clients/web/', import.meta.url));

export async function staticRoutes(app: FastifyInstance, options: { webDir: string }): Promise<void> {
  const serve = async (name: string) => {
    const type = types[path.extname(name)];
    if (!fileName.test(name) || !type) throw new BoldstreamError('HTTP_NOT_FOUND', `/${name}`);
    const body = await readFile(path.join(options.webDir, name)).catch(() => {
      throw new BoldstreamError('HTTP_NOT_FOUND', `/${name}`);
    });
    return { type, body };
  };
  app.get('/', async (_request, reply) => {
    const { type, body } = await serve('index.html');
    return reply.type(type).send(body);
  });
  app.get<{ Params: { file: string } }>('/:file', async (request, reply) => {
    const { type, body } = await serve(request.params.file);
    return reply.type(type).send(body);
  });
}
