import type { FastifyInstance, RouteOptions } from 'fastify';

declare module 'fastify' {
  interface FastifySchema {
    /** OpenAPI summary and description of the route. */
    summary?: string;
    description?: string;
    /** Leaves the route out of the OpenAPI document. */
    hide?: boolean;
  }
  interface FastifyContextConfig {
    /** The route answers with Server-Sent Events. */
    sse?: boolean;
    /** List the route in the OpenAPI document although it is outside `/api/` (the Judge0 dialect). */
    openapi?: boolean;
  }
}

interface RouteDoc {
  readonly method: string;
  readonly url: string;
  readonly schema: Record<string, unknown>;
  readonly sse: boolean;
}

type JsonSchema = Record<string, unknown> & { properties?: Record<string, unknown>; required?: string[] };

/** JSON round trip drops TypeBox's symbol keys, leaving plain JSON Schema. */
function plain(schema: unknown): JsonSchema {
  return JSON.parse(JSON.stringify(schema)) as JsonSchema;
}

function parameters(schema: unknown, where: 'path' | 'query'): unknown[] {
  if (!schema) return [];
  const s = plain(schema);
  return Object.entries(s.properties ?? {}).map(([name, property]) => ({
    name,
    in: where,
    required: where === 'path' || (s.required ?? []).includes(name),
    schema: property,
  }));
}

/**
 * Builds the OpenAPI 3.1 document from the schemas declared on the routes themselves, so the document
 * cannot drift from what the server validates. Collects routes as they are added.
 */
export function collectOpenApi(
  app: FastifyInstance,
  info: { title: string; version: string },
): () => unknown {
  const routes: RouteDoc[] = [];
  app.addHook('onRoute', (route: RouteOptions) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const schema = (route.schema ?? {}) as Record<string, unknown>;
    const listed = /^\/(api\/|healthz|readyz)/.test(route.url) || route.config?.openapi === true;
    if (schema.hide === true || !listed) return;
    const sse = route.config?.sse === true;
    for (const method of methods)
      if (method !== 'HEAD') routes.push({ method: method.toLowerCase(), url: route.url, schema, sse });
  });
  let cached: unknown;
  return () => {
    if (cached) return cached;
    const paths: Record<string, Record<string, unknown>> = {};
    for (const route of routes) {
      const path = route.url.replace(/:([A-Za-z_]+)/g, '{$1}');
      const responses: Record<string, unknown> = {};
      for (const [status, schema] of Object.entries(
        (route.schema.response ?? {}) as Record<string, unknown>,
      )) {
        const code = status.replace(/xx$/, 'XX');
        const problem = status.startsWith('4') || status.startsWith('5');
        const s = plain(schema);
        responses[code] =
          s.type === 'null'
            ? { description: 'No content' }
            : {
                description: problem ? 'Error' : 'Success',
                content: { [problem ? 'application/problem+json' : 'application/json']: { schema: s } },
              };
      }
      if (route.sse) {
        responses['200'] = {
          description: 'An event stream',
          content: { 'text/event-stream': { schema: { type: 'string' } } },
        };
      }
      paths[path] ??= {};
      paths[path][route.method] = {
        summary: route.schema.summary,
        ...(route.schema.description ? { description: route.schema.description } : {}),
        parameters: [
          ...parameters(route.schema.params, 'path'),
          ...parameters(route.schema.querystring, 'query'),
        ],
        ...(route.schema.body
          ? {
              requestBody: {
                required: true,
                content: { 'application/json': { schema: plain(route.schema.body) } },
              },
            }
          : {}),
        responses,
      };
    }
    cached = { openapi: '3.1.0', info, paths };
    return cached;
  };
}
