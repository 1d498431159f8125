/**
 * OpenAPI 3 description generated from the route schemas (@fastify/swagger),
 * served at one URL, GET /openapi.json, and Swagger UI at GET /docs with its
 * assets served from the package (no CDN). Registered before the routes,
 * because it collects them as they are added.
 *
 * Each operation gets its security requirement and its error answers from
 * the facts the server acts on (api-operations.ts), when the document is
 * first built: by then every route's access tag is final.
 */
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { eventSchema } from '../../domain/event.js';
import {
  errorBodySchema,
  errorCodesOf,
  errorResponses,
  type RequestPolicies,
  securityOf,
  securitySchemes,
} from './api-operations.js';
import { compressResponses } from './compression.js';

interface OpenApiOptions extends RequestPolicies {
  readonly version: string;
}

const documentUrl = '/openapi.json';

async function openApiPlugin(app: FastifyInstance, options: OpenApiOptions): Promise<void> {
  // Shared so the publish body refers to it three times as one component.
  app.addSchema(eventSchema);
  app.addSchema(errorBodySchema);

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'pubsub-aggregator',
        version: options.version,
        description:
          'Receives events delivered at least once and keeps each (topic, event_id) exactly once, ' +
          'durably, with exact lifetime statistics. Errors are JSON `{error, message, details?}`; ' +
          'branch on `error`. Each operation lists the key it needs on this server (none when ' +
          'that kind of key is not configured).',
      },
      tags: [
        { name: 'events', description: 'publish, query and follow events' },
        { name: 'operations', description: 'statistics, health, metrics' },
        { name: 'ui', description: 'pages for people' },
      ],
      components: { securitySchemes },
    },
    transform: ({ schema, url, route }) => {
      if (schema === undefined || schema.hide) return { schema, url };
      const own = (schema.response ?? {}) as Record<string, unknown>;
      const errors = errorResponses(errorCodesOf(route, options), own);
      return {
        url,
        schema: { ...schema, security: securityOf(route, options), response: { ...own, ...errors } },
      };
    },
    // Names the shared schemas by their $id in components.schemas (not "def-0").
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => String(json.$id ?? `def-${i}`) },
  });

  // The API description carries no data: /docs and /openapi.json are open, so a browser
  // (which cannot send a Bearer header for a page) can read them when a read key is set.
  await app.register(async (docs) => {
    docs.addHook('onRoute', (route) => {
      route.config = { ...route.config, access: 'open' };
    });
    // Swagger UI's own copies of the document (/docs/json, /docs/yaml) point to the one URL;
    // the UI's fetch follows the redirect.
    docs.addHook('onRequest', async (request, reply) => {
      const url = request.routeOptions.url;
      if (url === '/docs/json' || url === '/docs/yaml') return reply.redirect(documentUrl, 301);
    });
    await docs.register(swaggerUi, {
      routePrefix: '/docs',
      // BaseLayout: no top bar, whose inline-styled logo the page's CSP refuses and whose
      // URL box would load other documents.
      uiConfig: { deepLinking: true, layout: 'BaseLayout', persistAuthorization: false },
      theme: { title: 'pubsub-aggregator API' },
    });
  });

  // Its own scope, so that response compression joins this route only.
  await app.register(async (document) => {
    await compressResponses(document);
    document.get(
      documentUrl,
      {
        config: { access: 'open' },
        schema: {
          operationId: 'getOpenApi',
          summary: 'This API description (OpenAPI 3)',
          tags: ['operations'],
          response: {
            200: { description: 'OpenAPI 3.0 document', type: 'object', additionalProperties: true },
          },
        },
        // The document is built once the app is ready; serialise it as is.
        serializerCompiler: () => (data) => JSON.stringify(data),
      },
      async () => app.swagger(),
    );
  });
}

export default fp(openApiPlugin, {
  name: 'aggregator-openapi',
  fastify: '5.x',
  // Its own routes (/docs, /openapi.json) enter the access table as open.
  dependencies: ['aggregator-access'],
});
