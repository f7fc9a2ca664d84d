/**
 * `GET /openapi.json` and Swagger UI at `GET /docs`. The UI's files are the static assets shipped
 * in the `@fastify/swagger-ui` package, served from `node_modules` by a small route (its plugin
 * is not registered: it needs `@fastify/swagger` and adds JSON/YAML/wildcard routes that would
 * duplicate `/openapi.json`). Everything the page loads comes from this server: the HTML
 * references only `/docs/…` and its Content-Security-Policy allows nothing else.
 */
import type { FastifyPluginAsync } from 'fastify';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { notFound } from '../errors.js';
import type { OpenApiDocument } from '../openapi.js';
import type { Operation } from '../operations.js';

const STATIC_DIR = join(
  dirname(createRequire(import.meta.url).resolve('@fastify/swagger-ui/package.json')),
  'static',
);

const INITIALIZER = `window.addEventListener('load', function () {
  window.ui = SwaggerUIBundle({
    url: '/openapi.json',
    dom_id: '#swagger-ui',
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis],
    layout: 'BaseLayout',
    validatorUrl: null,
    tryItOutEnabled: false,
  });
});
`;

/** The files the page loads: from the package, except the initializer (ours, so no inline script). */
const ASSETS = {
  'swagger-ui.css': { type: 'text/css; charset=utf-8', file: 'swagger-ui.css' },
  'index.css': { type: 'text/css; charset=utf-8', file: 'index.css' },
  'swagger-ui-bundle.js': { type: 'application/javascript; charset=utf-8', file: 'swagger-ui-bundle.js' },
  'swagger-initializer.js': { type: 'application/javascript; charset=utf-8', text: INITIALIZER },
  'favicon-32x32.png': { type: 'image/png', file: 'favicon-32x32.png' },
  'favicon-16x16.png': { type: 'image/png', file: 'favicon-16x16.png' },
} as const satisfies Record<string, { type: string; file?: string; text?: string }>;
type AssetName = keyof typeof ASSETS;
const ASSET_NAMES = Object.keys(ASSETS) as [AssetName, ...AssetName[]];

export const docsAssetParams = z.object({
  asset: z.enum(ASSET_NAMES).meta({ description: 'a Swagger UI file' }),
});

const DOCS_HTML = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <title>Launch Control API</title>
    <link rel="stylesheet" type="text/css" href="/docs/swagger-ui.css" />
    <link rel="stylesheet" type="text/css" href="/docs/index.css" />
    <link rel="icon" type="image/png" href="/docs/favicon-32x32.png" sizes="32x32" />
    <link rel="icon" type="image/png" href="/docs/favicon-16x16.png" sizes="16x16" />
  </head>
  <body>
    <div id="swagger-ui"></div>
    <script src="/docs/swagger-ui-bundle.js"></script>
    <script src="/docs/swagger-initializer.js"></script>
  </body>
</html>
`;

/** Only this server: Swagger UI sets inline styles, and shows inline SVG/data images. */
const DOCS_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; font-src 'self' data:; object-src 'none'; base-uri 'self'; form-action 'none'; frame-ancestors 'none'";

const openApiOperation: Operation = {
  operationId: 'getOpenApiDocument',
  summary: 'This OpenAPI document',
  tag: 'documentation',
  access: 'public',
  responses: {
    200: {
      description: 'The OpenAPI 3.1 document of this API.',
      content: { 'application/json': { schema: { type: 'object' } } },
    },
  },
};

const docsOperation: Operation = {
  operationId: 'getDocs',
  summary: 'Swagger UI',
  tag: 'documentation',
  access: 'public',
  responses: {
    200: {
      description: 'Swagger UI for this API (loads only `/docs/…` assets and `/openapi.json`).',
      content: { 'text/html': { schema: { type: 'string' } } },
    },
  },
};

const docsAssetOperation: Operation = {
  operationId: 'getDocsAsset',
  summary: 'A Swagger UI asset',
  tag: 'documentation',
  access: 'public',
  params: docsAssetParams,
  responses: {
    200: {
      description: 'The file.',
      content: {
        'text/css': { schema: { type: 'string' } },
        'application/javascript': { schema: { type: 'string' } },
        'image/png': { schema: { type: 'string', format: 'binary' } },
      },
    },
    404: { description: 'No such asset.', content: { 'application/json': { schema: { type: 'object' } } } },
  },
};

export type DocsOptions = { document: () => OpenApiDocument };

export const docsRoutes: FastifyPluginAsync<DocsOptions> = async (app, { document }) => {
  const cache = new Map<AssetName, Buffer | string>();

  app.get('/openapi.json', { config: { operation: openApiOperation } }, async () => document());

  app.get('/docs', { config: { operation: docsOperation } }, async (_request, reply) =>
    reply
      .type('text/html; charset=utf-8')
      .header('content-security-policy', DOCS_CSP)
      .header('x-content-type-options', 'nosniff')
      .send(DOCS_HTML),
  );

  app.get('/docs/:asset', { config: { operation: docsAssetOperation } }, async (request, reply) => {
    const parsed = docsAssetParams.safeParse(request.params);
    if (!parsed.success)
      throw notFound(`no docs asset ${JSON.stringify((request.params as { asset?: string }).asset)}`);
    const name = parsed.data.asset;
    const asset: { type: string; file?: string; text?: string } = ASSETS[name];
    let body = cache.get(name);
    if (body === undefined) {
      body = asset.text ?? (await readFile(join(STATIC_DIR, asset.file ?? '')));
      cache.set(name, body);
    }
    return reply
      .type(asset.type)
      .header('cache-control', 'public, max-age=3600')
      .header('x-content-type-options', 'nosniff')
      .send(body);
  });
};
