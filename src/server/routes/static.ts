/**
 * The web viewer from clients/web/, served without a build step: GET / is index.html, GET /<file>
 * any other file of that folder with a known type, GET /vendor/<file> the chart library's own dist
 * files from the installed package (uPlot). Only plain names from fixed lists or folders are
 * served, so a request can never reach another file.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
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

/** The library files the page imports, from the uplot package as npm installed it (a dependency). */
const uplotDist = path.dirname(createRequire(import.meta.url).resolve('uplot/dist/uPlot.esm.js'));
const vendorFiles: Readonly<Record<string, string>> = { 'uPlot.esm.js': 'uPlot.esm.js', 'uPlot.min.css': 'uPlot.min.css' };

export async function staticRoutes(app: FastifyInstance, options: { webDir: string }): Promise<void> {
  app.get<{ Params: { file: string } }>('/vendor/:file', async (request, reply) => {
    const name = Object.hasOwn(vendorFiles, request.params.file) ? vendorFiles[request.params.file] : undefined;
    if (!name) throw new BoldstreamError('HTTP_NOT_FOUND', `/vendor/${request.params.file}`);
    return reply.type(types[path.extname(name)]!).send(await readFile(path.join(uplotDist, name)));
  });
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
