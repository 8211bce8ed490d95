/**
 * Reading a request body, raw, with a size limit.
 */
import type { Context } from 'koa';
import getRawBody from 'raw-body';

import {
  PayloadTooLargeError,
  UnsupportedMediaTypeError,
  ValidationError,
} from '../errors.js';

export async function readRawBody(ctx: Context, limitBytes: number): Promise<Buffer> {
  const encoding = ctx.get('content-encoding');
  if (encoding !== '' && encoding.toLowerCase() !== 'identity') {
    // Read as is, a compressed body would be parsed, and signed, as garbage.
    throw new UnsupportedMediaTypeError('uncompressed (no Content-Encoding)');
  }

  try {
    return await getRawBody(ctx.req, {
      limit: limitBytes,
      length: ctx.request.length,
    });
  } catch (error) {
    const status = (error as { status?: unknown }).status;
    if (status === 413) {
      throw new PayloadTooLargeError(limitBytes);
    }
    throw new ValidationError('invalid_body', 'request body could not be read', {
      cause: error,
    });
  }
}

/** A JSON body, or undefined when the request has none. */
export async function readJsonBody(ctx: Context, limitBytes: number): Promise<unknown> {
  const raw = await readRawBody(ctx, limitBytes);
  if (raw.length === 0) {
    return undefined;
  }
  if (!ctx.is('application/json')) {
    throw new UnsupportedMediaTypeError('application/json');
  }

  try {
    return JSON.parse(raw.toString('utf8'));
  } catch (error) {
    throw new ValidationError('invalid_json', 'request body is not valid JSON', {
      cause: error,
    });
  }
}
