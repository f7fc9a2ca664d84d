/**
 * Temporal's remote codec protocol (`POST /codec/decode`, `POST /codec/encode`), served when
 * payloads are encrypted (`LAUNCH_CONTROL_PAYLOAD_KEYS`), so the Temporal UI can show what the
 * workflows hold to people allowed to read launches, and approvers can type signal input in it.
 * The UI calls from its own origin: allowed origins get CORS answers, preflights included.
 */
import type { PayloadCodec } from '@temporalio/common';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { ApiError, invalidRequest, parseOr400 } from '../errors.js';
import type { Operation } from '../operations.js';

export type CodecSettings = {
  codec: PayloadCodec;
  /** The namespace whose payloads this server's keys encrypt. */
  namespace: string;
  /** Browser origins (the Temporal UI's) allowed to call the codec, e.g. `http://localhost:8233`. */
  corsOrigins: string[];
};

export const CODEC_CORS_ENV = 'LAUNCH_CONTROL_CODEC_CORS_ORIGINS';

/** Allowed origins: the setting's list, else the Temporal UI's own origin. */
export function codecCorsOrigins(env: NodeJS.ProcessEnv, temporalUiUrl: string | undefined): string[] {
  const listed = (env[CODEC_CORS_ENV] ?? '')
    .split(',')
    .map((origin) => origin.trim().replace(/\/+$/, ''))
    .filter(Boolean);
  if (listed.length > 0) return listed;
  return temporalUiUrl ? [new URL(temporalUiUrl).origin] : [];
}

/** A bound per call: the UI sends one history page at a time. */
export const MAX_CODEC_PAYLOADS = 1000;
const base64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'must be base64');

/** Payloads as the protocol carries them: proto3 JSON, bytes in base64. */
export const codecPayloadsSchema = z
  .object({
    payloads: z
      .array(
        z.object({
          metadata: z.record(z.string(), base64).optional(),
          data: base64.optional(),
        }),
      )
      .max(MAX_CODEC_PAYLOADS),
  })
  .meta({ description: "Temporal's remote codec body: payloads with base64 metadata values and data." });

type JsonPayloads = z.infer<typeof codecPayloadsSchema>['payloads'];

const example = {
  payloads: [{ metadata: { encoding: 'anNvbi9wbGFpbg==' }, data: 'eyJvayI6dHJ1ZX0=' }],
};

function codecOperation(action: 'decode' | 'encode'): Operation {
  return {
    operationId: `${action}Payloads`,
    summary:
      action === 'decode'
        ? 'Decrypt workflow payloads (for the Temporal UI)'
        : 'Encrypt payloads (signal input typed in the Temporal UI)',
    tag: 'codec',
    // Reading a launch's payloads is reading the launch; encoding is for sending a signal.
    access: action === 'decode' ? 'viewer' : 'approver',
    sideEffectFree: true,
    body: { schema: codecPayloadsSchema, name: 'CodecPayloads', examples: { one: { value: example } } },
    responses: {
      200: {
        description: `The payloads, ${action}d, in order.`,
        schema: codecPayloadsSchema,
        name: 'CodecPayloads',
      },
    },
  };
}

const preflightOperation: Operation = {
  operationId: 'codecPreflight',
  summary: 'CORS preflight of the codec routes',
  tag: 'codec',
  access: 'public',
  responses: { 204: { description: 'Allowed origin: CORS headers.' } },
};

const toBytes = (value: string | undefined) =>
  value === undefined ? undefined : Buffer.from(value, 'base64');
const toBase64 = (value: Uint8Array | null | undefined) =>
  value == null ? undefined : Buffer.from(value).toString('base64');

function fromJson(payloads: JsonPayloads) {
  return payloads.map((p) => ({
    metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, toBytes(v)!])),
    ...(p.data === undefined ? {} : { data: toBytes(p.data) }),
  }));
}

function toJson(payloads: Awaited<ReturnType<PayloadCodec['decode']>>): JsonPayloads {
  return payloads.map((p) => ({
    metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, toBase64(v) ?? ''])),
    ...(p.data == null ? {} : { data: toBase64(p.data) }),
  }));
}

export const codecRoutes: FastifyPluginAsync<CodecSettings> = async (app, settings) => {
  const allowed = new Set(settings.corsOrigins);

  function cors(request: FastifyRequest, reply: FastifyReply) {
    const origin = request.headers.origin;
    if (!origin || !allowed.has(origin)) return;
    reply
      .header('access-control-allow-origin', origin)
      .header('vary', 'Origin')
      .header('access-control-allow-credentials', 'true')
      .header('access-control-allow-methods', 'POST, OPTIONS')
      .header('access-control-allow-headers', 'authorization, content-type, x-namespace')
      .header('access-control-max-age', '600');
  }
  // Also on refusals (401/403): the UI can then tell the person why.
  app.addHook('onRequest', async (request, reply) => cors(request, reply));

  for (const action of ['decode', 'encode'] as const) {
    app.options(`/codec/${action}`, { config: { operation: preflightOperation } }, async (_request, reply) =>
      reply.code(204).send(),
    );
    app.post(`/codec/${action}`, { config: { operation: codecOperation(action) } }, async (request) => {
      const namespace = request.headers['x-namespace'];
      if (typeof namespace === 'string' && namespace !== '' && namespace !== settings.namespace) {
        throw invalidRequest([
          { path: 'X-Namespace', message: `this codec serves namespace "${settings.namespace}"` },
        ]);
      }
      const { payloads } = parseOr400(codecPayloadsSchema, request.body);
      try {
        const out = await settings.codec[action](fromJson(payloads));
        return { payloads: toJson(out) };
      } catch (err) {
        // A payload under an unknown key or tampered with: the caller's input, not our fault.
        throw new ApiError(400, 'invalid-request', `cannot ${action}: ${(err as Error).message}`, {
          fields: [{ path: 'payloads', message: (err as Error).message }],
        });
      }
    });
  }
};
