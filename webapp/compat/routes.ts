import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { ApiContext } from '../context.js';
import type { SubmissionService } from '../submissions/service.js';
import { judge0Routes } from './judge0/routes.js';
import { pistonRoutes } from './piston/routes.js';

/**
 * The dialects of other engines that the operator left on, each in its own encapsulated context so that
 * its error shapes and body parsers stay its own.
 */
export function compatRoutes(ctx: ApiContext, service: SubmissionService): FastifyPluginAsyncTypebox {
  return async (app) => {
    if (ctx.config.compat.piston) await app.register(pistonRoutes(ctx, service));
    const prefix = ctx.config.compat.judge0Prefix;
    if (prefix !== null) await app.register(judge0Routes(ctx, service), { prefix });
  };
}
