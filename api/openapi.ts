/**
 * The OpenAPI 3.1 document, generated from the routes registered in fastify: each route's
 * `config.operation` names its zod schemas (the ones its handler validates with), converted with
 * `z.toJSONSchema`. Nothing here restates a schema.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { DEV_MODE_HEADER_VALUE, ROLES } from './auth.js';
import {
  openApiPath,
  type JsonSchema,
  type MediaContent,
  type Operation,
  type ResponseDoc,
} from './operations.js';
import { errorSchema, rateLimitedSchema, validationErrorSchema } from './schemas.js';

export type RegisteredRoute = { method: string; url: string; operation: Operation };

export type OpenApiDocument = {
  openapi: string;
  info: { title: string; version: string; description: string };
  servers: { url: string }[];
  tags: { name: string; description: string }[];
  security: Record<string, string[]>[];
  paths: Record<string, Record<string, Record<string, unknown>>>;
  components: {
    schemas: Record<string, JsonSchema>;
    responses: Record<string, Record<string, unknown>>;
    securitySchemes: Record<string, Record<string, unknown>>;
  };
};

const PACKAGE_VERSION = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

const TAGS = [
  { name: 'launches', description: 'Start, list and read launches (operators start; viewers read).' },
  {
    name: 'approvals',
    description: 'Human decisions on a launch: approvals, overrides, reviews, aborts. `by` is the caller.',
  },
  { name: 'freeze', description: 'The configuration freeze gate CI/CD asks before changing production.' },
  { name: 'health', description: 'Liveness for load balancers (public).' },
  { name: 'documentation', description: 'This document and Swagger UI (public: shapes only, no data).' },
  {
    name: 'codec',
    description:
      "Temporal's remote codec protocol, served only when payload encryption is configured: the Temporal UI shows encrypted payloads through it.",
  },
];

const DESCRIPTION = `Durable production launches on Temporal (see the README).

**Authentication.** Every route except \`/healthz\`, \`/openapi.json\` and \`/docs\` needs
\`Authorization: Bearer <token>\`. Tokens are configured on the server (\`LAUNCH_CONTROL_TOKENS_FILE\` or
\`LAUNCH_CONTROL_TOKENS\`), each with a subject and roles: **operator** starts launches, aborts them and asks
the freeze gate; **approver** sends approval signals; **viewer** reads. Operators and approvers can also read.
No token: 401 with \`WWW-Authenticate: Bearer\`; a token without the role: 403.

**Who acts.** On the action routes the token's subject *is* \`by\`: leave \`by\` out and it is filled in; a
\`by\` naming anyone else is refused with 403 (a request cannot act as someone else).

**Rate limits.** The mutating routes are limited per caller (default 60 per minute, a burst of 60):
429 with \`Retry-After\` beyond it.

**Dev mode.** A server with no tokens outside production accepts every request without a token (as the
body's \`by\`, else \`dev\`) and marks every answer \`X-Launch-Control-Auth: ${DEV_MODE_HEADER_VALUE}\`.
With \`NODE_ENV=production\` it refuses to start instead.`;

/** A zod schema as JSON Schema (2020-12, which OpenAPI 3.1 uses). */
export function toJsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonSchema;
  return rest;
}

const ref = (kind: 'schemas' | 'responses', name: string) => ({ $ref: `#/components/${kind}/${name}` });

function jsonBody(schemaRef: Record<string, unknown>) {
  return { 'application/json': { schema: schemaRef } };
}

function sharedComponents() {
  const schemas: Record<string, JsonSchema> = {
    Error: toJsonSchema(errorSchema, 'output'),
    ValidationError: toJsonSchema(validationErrorSchema, 'output'),
    RateLimited: toJsonSchema(rateLimitedSchema, 'output'),
  };
  const error = (description: string, schema = 'Error', headers?: Record<string, unknown>) => ({
    description,
    ...(headers ? { headers } : {}),
    content: jsonBody(ref('schemas', schema)),
  });
  const responses = {
    InvalidRequest: error('The request is malformed; `fields` names every bad field.', 'ValidationError'),
    Unauthorized: error('No valid bearer token.', 'Error', {
      'WWW-Authenticate': { description: 'Bearer realm="launch-control"', schema: { type: 'string' } },
    }),
    Forbidden: error('The token lacks the role this route needs, or the body names someone else as `by`.'),
    RateLimited: error('Too many requests from this caller.', 'RateLimited', {
      'Retry-After': { description: 'seconds until a request is allowed again', schema: { type: 'integer' } },
    }),
    PayloadTooLarge: error('The body is larger than 256 KiB.'),
    UnsupportedMediaType: error('The body is not `application/json`.'),
    Internal: error('An unexpected error; details are in the server log only.'),
  };
  const securitySchemes = {
    bearerAuth: {
      type: 'http',
      scheme: 'bearer',
      description: `A token configured on the server. Roles (listed per operation): ${ROLES.join(', ')}; operator and approver imply viewer.`,
    },
  };
  return { schemas, responses, securitySchemes };
}

export function buildOpenApiDocument(routes: readonly RegisteredRoute[]): OpenApiDocument {
  const components = sharedComponents();
  const named = new Map<string, z.ZodType>([
    ['Error', errorSchema],
    ['ValidationError', validationErrorSchema],
    ['RateLimited', rateLimitedSchema],
  ]);
  const nameSchema = (name: string, schema: z.ZodType, io: 'input' | 'output') => {
    const known = named.get(name);
    if (known && known !== schema) throw new Error(`two different schemas are named ${name}`);
    if (!known) {
      if (components.schemas[name]) throw new Error(`schema name ${name} is reserved`);
      named.set(name, schema);
      components.schemas[name] = toJsonSchema(schema, io);
    }
    return ref('schemas', name);
  };
  const mediaContent = (content: Record<string, MediaContent>) =>
    Object.fromEntries(
      Object.entries(content).map(([type, media]) => [
        type,
        {
          ...(media.schema
            ? {
                schema:
                  media.schema instanceof z.ZodType ? toJsonSchema(media.schema, 'output') : media.schema,
              }
            : {}),
          ...(media.example === undefined ? {} : { example: media.example }),
        },
      ]),
    );
  const response = (doc: ResponseDoc) => ({
    description: doc.description,
    ...(doc.headers ? { headers: doc.headers } : {}),
    ...(doc.schema
      ? {
          content: jsonBody(
            doc.name ? nameSchema(doc.name, doc.schema, 'output') : toJsonSchema(doc.schema, 'output'),
          ),
        }
      : doc.content
        ? { content: mediaContent(doc.content) }
        : {}),
  });

  const paths: OpenApiDocument['paths'] = {};
  const operationIds = new Set<string>();
  for (const { method, url, operation: op } of routes) {
    if (operationIds.has(op.operationId)) throw new Error(`operationId ${op.operationId} is used twice`);
    operationIds.add(op.operationId);
    const parameters = [...parametersOf(op.params, 'path'), ...parametersOf(op.query, 'query')];
    const responses: Record<string, unknown> = {};
    for (const [status, doc] of Object.entries(op.responses)) responses[status] = response(doc);
    const shared = (status: number, name: keyof typeof components.responses) => {
      if (!responses[status]) responses[status] = ref('responses', name);
    };
    if (op.params || op.query || op.body) shared(400, 'InvalidRequest');
    if (op.access !== 'public') shared(401, 'Unauthorized');
    if ((op.access !== 'public' && op.access !== 'viewer') || op.actsAsCaller) shared(403, 'Forbidden');
    if (op.body) {
      shared(413, 'PayloadTooLarge');
      shared(415, 'UnsupportedMediaType');
    }
    if (op.mutating) shared(429, 'RateLimited');
    shared(500, 'Internal');

    const description = [
      op.description,
      op.access === 'public'
        ? 'Public: no token needed.'
        : `Needs a bearer token with the **${op.access}** role${op.access === 'viewer' ? ' (any role reads)' : ''}.`,
      op.actsAsCaller
        ? '`by` is the caller: left out, it is filled in from the token; naming anyone else is a 403.'
        : undefined,
      op.mutating ? 'Rate limited per caller.' : undefined,
    ]
      .filter(Boolean)
      .join('\n\n');

    const pathItem = (paths[openApiPath(url)] ??= {});
    pathItem[method.toLowerCase()] = {
      operationId: op.operationId,
      summary: op.summary,
      description,
      tags: [op.tag],
      security: op.access === 'public' ? [] : [{ bearerAuth: [op.access] }],
      'x-required-role': op.access,
      ...(parameters.length > 0 ? { parameters } : {}),
      ...(op.body
        ? {
            requestBody: {
              required: true,
              ...(op.body.description ? { description: op.body.description } : {}),
              content: {
                'application/json': {
                  schema: nameSchema(op.body.name, op.body.schema, 'input'),
                  examples: op.body.examples,
                },
              },
            },
          }
        : {}),
      responses: Object.fromEntries(Object.entries(responses).sort(([a], [b]) => a.localeCompare(b))),
    };
  }

  return {
    openapi: '3.1.0',
    info: { title: 'Launch Control API', version: PACKAGE_VERSION, description: DESCRIPTION },
    servers: [{ url: '/' }],
    tags: TAGS,
    security: [{ bearerAuth: [] }],
    paths,
    components,
  };
}

function parametersOf(schema: z.ZodObject | undefined, where: 'path' | 'query') {
  if (!schema) return [];
  const json = toJsonSchema(schema, 'input') as {
    properties?: Record<string, JsonSchema>;
    required?: string[];
  };
  return Object.entries(json.properties ?? {}).map(([name, property]) => {
    const { description, ...rest } = property;
    return {
      name,
      in: where,
      required: where === 'path' || (json.required ?? []).includes(name),
      ...(typeof description === 'string' ? { description } : {}),
      schema: rest,
    };
  });
}
