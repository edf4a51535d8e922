/** Public shapes of the appearance builder. The PDF writer (agent/pdf) codes against these. */
import type { SignWarning } from '../../protocol/index.ts';
import type { CertificateInfo } from '../../tokens/index.ts';

/** [x1, y1, x2, y2] in points. */
export type Rect = [number, number, number, number];

export interface PageGeometry {
  /** 0-based page index. */
  index: number;
  /** The page's MediaBox as written in the file (origin may be non-zero). */
  mediaBox: Rect;
  /** The page's /Rotate: 0, 90, 180 or 270 (other multiples of 90 are normalised). */
  rotate: number;
  /**
   * The page's /CropBox (inherited), when it has one: the visible part of the page, where the
   * top-right boxes go. Clipped to the MediaBox; absent means the MediaBox.
   */
  cropBox?: Rect;
}

/** One indirect object: its full body without "N 0 obj"/"endobj". */
export interface AppearanceObject {
  id: number;
  body: Buffer;
}

export interface PlacedAppearance {
  pageIndex: number;
  /** The widget annotation's /Rect, in the page's default user space (as written in the file). */
  rect: Rect;
  /** Every new object (form XObject, images, font) the writer appends, ids from allocateObjectId. */
  objects: AppearanceObject[];
  /** The form XObject to reference as /AP << /N id 0 R >>. */
  normalAppearanceId: number;
  /**
   * Further widgets of the same signature on other pages (issuance: document number or issue
   * date fields found on another page than the seal). The writer may add them as extra widget
   * annotations; their objects are independent of the main appearance's.
   */
  extra?: PlacedAppearance[];
  /**
   * What did not go as asked (value not written, image scaled down, default or moved place);
   * on the main appearance only.
   */
  warnings?: SignWarning[];
}

export type AppearancePreset = 'approval' | 'issuance' | 'attachment' | 'copy' | 'plain' | 'custom';

/**
 * Where to put an appearance.
 * - `{ page, rect }`: rect in points on the page as displayed (after /Rotate), measured from
 *   the displayed page's bottom-left corner, so callers never deal with /Rotate or MediaBox
 *   origins. `page` is 0-based.
 * - `{ anchor, page? }`: text searched on the page (every page in order when page is absent).
 *   Placeholders written in brackets (`[SIGNATURE]`, `[CHU_KY]`) are covered by the appearance
 *   (painted white) and the image is centred on them; any other text (typically the signer's
 *   name) gets the image centred above it, between the title and the name.
 */
export type Placement = { page: number; rect: Rect } | { anchor: string; page?: number };

export interface AppearanceRequest {
  preset: AppearancePreset;
  signerName: string;
  signerCertificate: CertificateInfo;
  signingTime: Date;
  /** Number and symbol, e.g. "123/QĐ-UBND". Issuance: written into the number field; attachment: shown. */
  docNumber?: string;
  /** Issue date. "YYYY-MM-DD" is written as "ngày DD tháng MM năm YYYY"; other text as given. */
  issuedDate?: string;
  /** Copy form: "SAO Y" (default), "SAO LỤC" or "TRÍCH SAO". */
  copyForm?: string;
  /** Copying organisation (copy); defaults to the certificate's O, then signerName. */
  organisation?: string;
  /** PNG: signature (approval), seal (issuance), optional image (custom). */
  image?: Buffer;
  placement?: Placement;
  /** Custom preset text lines. */
  textLines?: string[];
  /** Issuance: where the document number goes; default anchor `[SO_VB]` when present. */
  docNumberPlacement?: Placement;
  /** Issuance: where the issue date goes; default anchor `[NGAY_BH]` when present. */
  issuedDatePlacement?: Placement;
}

export interface AppearanceContext {
  pages: PageGeometry[];
  allocateObjectId(): number;
  /** The document, for anchor search. One of path or bytes. */
  pdf: { path?: string; bytes?: Buffer };
  /** The approval widget's rect (user space) the seal overlaps. */
  previousApprovalRect?: { pageIndex: number; rect: Rect };
  /**
   * Rects (user space) of earlier attachment/copy boxes: a new top-right box goes below
   * them instead of on top (an attachment that is later copied carries both).
   */
  earlierTextBoxes?: { pageIndex: number; rect: Rect }[];
}
