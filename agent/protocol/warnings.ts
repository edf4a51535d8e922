/**
 * Sign warnings: a signature was made, but not quite as asked (a value not written, an image
 * made smaller, a box or signature put somewhere the caller did not say). One catalog, like
 * the error catalog, so the agent, the CLI, the tray and the browser SDK use the same words;
 * Vietnamese first. Callers switch on the code, never on the text. `{name}` in a message is
 * filled from the warning's details. Also the vi/en hints that some placement errors carry in
 * their details (`hintVi`, `hintEn`). Imports nothing at run time.
 */
import type { LocalisedText } from './errors.ts';
import type { SignWarning, SignWarningDetails } from './methods.ts';

export const warningCatalog = {
  DOC_NUMBER_NOT_PLACED: {
    vi: 'Số, ký hiệu "{docNumber}" chưa được ghi vào văn bản: văn bản không có ô [SO_VB]. Thêm ô [SO_VB] vào mẫu văn bản, hoặc truyền docNumberPlacement (trang và khung, hoặc chữ neo).',
    en: 'The number and symbol "{docNumber}" was not written on the document: it has no [SO_VB] field. Add [SO_VB] to the template, or pass docNumberPlacement (page and rectangle, or an anchor).',
  },
  ISSUED_DATE_NOT_PLACED: {
    vi: 'Ngày ban hành "{issuedDate}" chưa được ghi vào văn bản: văn bản không có ô [NGAY_BH]. Thêm ô [NGAY_BH] vào mẫu văn bản, hoặc truyền issuedDatePlacement (trang và khung, hoặc chữ neo).',
    en: 'The issue date "{issuedDate}" was not written on the document: it has no [NGAY_BH] field. Add [NGAY_BH] to the template, or pass issuedDatePlacement (page and rectangle, or an anchor).',
  },
  IMAGE_SCALED: {
    vi: 'Ảnh {imageVi} đã được thu nhỏ từ {fromMm} mm xuống {toMm} mm cho vừa chỗ trên trang {pageNumber}. Nếu cần đúng kích thước, dùng ảnh nhỏ hơn hoặc truyền placement với khung đủ rộng.',
    en: 'The {image} image was scaled down from {fromMm} mm to {toMm} mm to fit on page {pageNumber}. For its real size, use a smaller image or pass a placement with a large enough rectangle.',
  },
  APPROVAL_DEFAULT_PLACEMENT: {
    vi: 'Không tìm thấy tên người ký "{signerName}" hay ô chữ ký ([SIGNATURE], [CHU_KY]) trong văn bản: chữ ký số được đặt ở vị trí mặc định, góc dưới bên phải phần chữ của trang {pageNumber}. Để đặt đúng chỗ, truyền placement (trang và khung, hoặc chữ neo) hoặc thêm ô [CHU_KY] vào mẫu văn bản.',
    en: 'Neither the signer\'s name "{signerName}" nor a signature field ([SIGNATURE], [CHU_KY]) was found in the document: the signature was put in the default place, at the bottom right of the text on page {pageNumber}. To put it elsewhere, pass a placement (page and rectangle, or an anchor) or add [CHU_KY] to the template.',
  },
  BOX_MOVED: {
    vi: 'Khung {presetVi} không đặt được ở góc trên bên phải trang 1 vì đã có nội dung ở đó; khung đã được dời {directionVi}. Kiểm tra lại văn bản đã ký, hoặc truyền placement (trang và khung) để chọn chỗ.',
    en: 'The {preset} box could not go at the top right of page 1 because the page has content there; it was moved {direction}. Check the signed document, or pass a placement (page and rectangle) to choose the place.',
  },
  BOX_OVER_TEXT: {
    vi: 'Khung {presetVi} ở góc trên bên phải trang 1 có thể che chữ của văn bản: không còn chỗ trống nào trên trang. Kiểm tra lại văn bản đã ký, hoặc truyền placement (trang và khung) để chọn chỗ.',
    en: 'The {preset} box at the top right of page 1 may cover text of the document: the page has no free place for it. Check the signed document, or pass a placement (page and rectangle) to choose the place.',
  },
  VALUE_NOT_SHOWN: {
    vi: 'Giá trị {field} không được ghi vào văn bản: kiểu chữ ký {preset} không hiển thị nó (số, ký hiệu: issuance, attachment; ngày ban hành: issuance). Bỏ giá trị này, hoặc chọn đúng kiểu chữ ký (preset).',
    en: 'The {field} value was not written on the document: the {preset} preset does not show it (number and symbol: issuance, attachment; issue date: issuance). Leave it out, or choose the right preset.',
  },
} as const satisfies Record<string, LocalisedText>;

export type WarningCode = keyof typeof warningCatalog;

export const WARNING_CODES = Object.keys(warningCatalog) as readonly WarningCode[];

export function isWarningCode(code: string): code is WarningCode {
  return Object.hasOwn(warningCatalog, code);
}

const fill = (template: string, details: SignWarningDetails): string =>
  template.replace(/\{(\w+)\}/g, (whole, name: string) => {
    const value = details[name];
    return value === undefined || value === null ? whole : String(value);
  });

/** A warning with its catalog message, `{name}` filled from the details. */
export function signWarning(code: WarningCode, details: SignWarningDetails = {}): SignWarning {
  const text = warningCatalog[code];
  return {
    code,
    message: { vi: fill(text.vi, details), en: fill(text.en, details) },
    ...(Object.keys(details).length > 0 ? { details } : {}),
  };
}

/**
 * What to pass when a placement cannot be found or made: sent in an error's details as
 * `hint` (the key), `hintVi` and `hintEn`.
 */
export const placementHints = {
  ISSUANCE_WITHOUT_APPROVAL: {
    vi: 'Văn bản chưa có chữ ký số phê duyệt để đóng dấu chồng lên. Ký phê duyệt (approval) trước, hoặc truyền placement (trang và khung, hoặc chữ neo) cho con dấu.',
    en: 'There is no approval signature to overlap. Sign the approval first, or give a placement (page and rectangle, or an anchor) for the seal.',
  },
  APPROVAL_NO_ROOM: {
    vi: 'Không tìm thấy tên người ký hay ô chữ ký ([SIGNATURE], [CHU_KY]), và trang cuối không còn chỗ trống dưới phần chữ. Truyền placement: trang và khung ({page, rect}) hoặc chữ neo ({anchor}).',
    en: "Neither the signer's name nor a signature field ([SIGNATURE], [CHU_KY]) was found, and the last page has no room below its text. Pass a placement: page and rectangle ({page, rect}) or an anchor ({anchor}).",
  },
} as const satisfies Record<string, LocalisedText>;

export type PlacementHint = keyof typeof placementHints;

/** Error details naming a hint, with its words. */
export function hintDetails(hint: PlacementHint): { hint: string; hintVi: string; hintEn: string } {
  return { hint, hintVi: placementHints[hint].vi, hintEn: placementHints[hint].en };
}
