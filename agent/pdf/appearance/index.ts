/**
 * Decree 30/2020 signature appearances: the widget's form XObject, images and font subset
 * for one signature, as objects the PDF writer appends in its incremental update.
 */
export { buildAppearance } from './build.ts';
export { COPY_FORMS, DEFAULT_DOC_NUMBER_ANCHOR, DEFAULT_ISSUED_DATE_ANCHOR } from './presets.ts';
export { formatIssuedDate, formatVietnamTime } from './time.ts';
export type {
  AppearanceContext,
  AppearanceObject,
  AppearancePreset,
  AppearanceRequest,
  PageGeometry,
  Placement,
  PlacedAppearance,
  Rect,
} from './types.ts';
