/**
 * Request bodies: JSON (bytes as base64 strings) or msgpack (bytes as binary), the same two forms
 * as on the WebSocket, validated against the proto with the same reflection.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type protobuf from 'protobufjs';
import { unpackMsgpack } from './codec.js';
import { validateMessage, type BytesForm, type Plain } from './validate.js';

export const msgpackTypes = ['application/msgpack', 'application/x-msgpack', 'application/vnd.msgpack'];

export function installMsgpackParser(app: FastifyInstance): void {
  app.addContentTypeParser(msgpackTypes, { parseAs: 'buffer' }, (_request, body, done) => {
    try {
      done(null, unpackMsgpack(body as Buffer));
    } catch (error) {
      done(error as Error, undefined);
    }
  });
}

export function bodyBytesForm(request: FastifyRequest): BytesForm {
  const type = request.headers['content-type'] ?? '';
  return msgpackTypes.some((t) => type.startsWith(t)) ? 'binary' : 'base64';
}

/** Validates a request body as the proto message `type`; HTTP_BAD_REQUEST names the field. */
export function validBody(request: FastifyRequest, type: protobuf.Type): Plain {
  return validateMessage(type, request.body ?? undefined, { bytes: bodyBytesForm(request), code: 'HTTP_BAD_REQUEST' }, 'body');
}
