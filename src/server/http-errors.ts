/**
 * Every HTTP error reply is `{error: {code, message}}` with the catalogue's status. Fastify's own
 * errors (body too large, bad JSON, wrong content type) are mapped onto catalogue codes so that a
 * client only ever meets one shape; unexpected errors are logged with their stack and answered as
 * INTERNAL without details. Request bodies are never logged.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { BoldstreamError } from '../errors.js';

function toCatalogue(error: FastifyError | BoldstreamError | Error): BoldstreamError {
  if (error instanceof BoldstreamError) return error;
  const fastifyError = error as FastifyError;
  if (fastifyError.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return new BoldstreamError('HTTP_BODY_TOO_LARGE', fastifyError.message);
  const status = fastifyError.statusCode;
  if (status !== undefined && status >= 400 && status < 500) {
    if (status === 404) return new BoldstreamError('HTTP_NOT_FOUND', fastifyError.message);
    return new BoldstreamError('HTTP_BAD_REQUEST', fastifyError.message);
  }
  return new BoldstreamError('INTERNAL', 'the server could not complete the request', { cause: error });
}

export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | BoldstreamError, request: FastifyRequest, reply: FastifyReply) => {
    const coded = toCatalogue(error);
    if (coded.status >= 500) request.log.error({ err: error, code: coded.code }, 'request failed');
    else request.log.info({ code: coded.code, reason: coded.message }, 'request refused');
    void reply.status(coded.status).send({ error: coded.toJSON() });
  });
  app.setNotFoundHandler((request: FastifyRequest, reply: FastifyReply) => {
    const error = new BoldstreamError('HTTP_NOT_FOUND', `${request.method} ${request.url.split('?')[0]}`);
    void reply.status(error.status).send({ error: error.toJSON() });
  });
}
