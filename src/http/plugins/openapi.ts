/**
 * OpenAPI 3 description generated from the route schemas (@fastify/swagger)
 * at GET /openapi.json, and Swagger UI at GET /docs with its assets served
 * from the package (no CDN). Registered before the routes, because it
 * collects them as they are added.
 */
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { eventSchema } from '../../domain/event.js';

interface OpenApiOptions {
  readonly version: string;
}

async function openApiPlugin(app: FastifyInstance, options: OpenApiOptions): Promise<void> {
  // Shared so the publish body refers to it three times as one component.
  app.addSchema(eventSchema);

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'pubsub-aggregator',
        version: options.version,
        description:
          'Receives events delivered at least once and keeps each (topic, event_id) exactly once, ' +
          'durably, with exact lifetime statistics. Errors are JSON `{error, message, details?}`; ' +
          'branch on `error`.',
      },
      tags: [
        { name: 'events', description: 'publish, query and follow events' },
        { name: 'operations', description: 'statistics, health, metrics' },
        { name: 'ui', description: 'pages for people' },
      ],
    },
    // Names the shared Event schema by its $id in components.schemas (not "def-0").
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => String(json.$id ?? `def-${i}`) },
  });

  // The API description carries no data: /docs and /openapi.json are open, so a browser
  // (which cannot send a Bearer header for a page) can read them when a read key is set.
  await app.register(async (docs) => {
    docs.addHook('onRoute', (route) => {
      route.config = { ...route.config, access: 'open' };
    });
    await docs.register(swaggerUi, { routePrefix: '/docs', uiConfig: { deepLinking: true } });
  });

  app.get(
    '/openapi.json',
    {
      config: { access: 'open' },
      schema: {
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
}

export default fp(openApiPlugin, {
  name: 'aggregator-openapi',
  fastify: '5.x',
  // Its own routes (/docs, /openapi.json) enter the access table as open.
  dependencies: ['aggregator-access'],
});
