/** tokens.list: the tokens present now (their PIN state included, never the PIN). */
import { object } from '../../validation/index.ts';
import { readParams } from '../params.ts';
import type { MethodTable } from './types.ts';

export const tokenMethods: MethodTable = {
  'tokens.list': async (params, ctx) => {
    readParams(object({}), params);
    const tokens = await ctx.tokens.listTokens();
    return { tokens: tokens.filter((t) => t.present) };
  },
};
