/** tokens.list: the tokens present now (their PIN state included, never the PIN). */
import { Params } from '../params.ts';
import type { MethodTable } from './registry.ts';

export const tokenMethods: MethodTable = {
  'tokens.list': async (params, ctx) => {
    new Params(params).only();
    const tokens = await ctx.tokens.listTokens();
    return { tokens: tokens.filter((t) => t.present) };
  },
};
