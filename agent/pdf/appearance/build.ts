/** Builds one signature's appearance: the Decree 30 preset laid out, then emitted as objects. */
import { KysoError } from '../../errors/index.ts';
import { Layout, emit } from './layout.ts';
import { approval, attachment, copy, custom, issuance } from './presets.ts';
import type { AppearanceContext, AppearanceRequest, PlacedAppearance } from './types.ts';

/**
 * Builds the visible appearance of one signature; null for `plain` (invisible signature).
 * Throws KysoError: PDF_IMAGE_REQUIRED / PDF_IMAGE_INVALID (image), PDF_PLACEMENT_INVALID
 * (page, rectangle), PDF_ANCHOR_NOT_FOUND (anchor text), INVALID_INPUT (other fields).
 */
export async function buildAppearance(
  request: AppearanceRequest,
  ctx: AppearanceContext,
): Promise<PlacedAppearance | null> {
  if (request.preset === 'plain') return null;
  if (ctx.pages.length === 0)
    throw new KysoError('PDF_MALFORMED', { reason: 'document has no pages' });
  const layout = new Layout(ctx);
  try {
    switch (request.preset) {
      case 'approval':
        await approval(layout, request);
        break;
      case 'issuance':
        await issuance(layout, request, ctx);
        break;
      case 'attachment':
        await attachment(layout, request);
        break;
      case 'copy':
        await copy(layout, request);
        break;
      case 'custom':
        await custom(layout, request);
        break;
      default:
        throw new KysoError('INVALID_INPUT', { field: 'preset', value: String(request.preset) });
    }
  } finally {
    await layout.finder.close();
  }
  const placed = emit(layout, ctx);
  return layout.warnings.length > 0 ? { ...placed, warnings: layout.warnings } : placed;
}
