/**
 * Result JSON in the VGCA plugin's shape ({ Status, Message, ... }) and the Status numbers the
 * compatibility script uses for failures. The plugin itself documents only `Status == 0` for
 * success; the non-zero numbers below are Kyso's (docs/migration-vgca.md), grouped so a page can
 * tell "Kyso is not running" from token, PIN and document problems. Every failure also carries
 * Kyso's stable code in `ErrorCode`.
 */
import { catalog, isErrorCode, type LocalisedText } from '../client/index.ts';

export const VGCA_STATUS = {
  OK: 0,
  /** The user refused the signing, or closed the PIN dialog. */
  CANCELLED: 1,
  /** The page called with parameters the script cannot use. */
  BAD_PARAMS: 2,
  /** The PDF could not be downloaded from FileName / URL. */
  DOWNLOAD_FAILED: 3,
  /** FileUploadHandler failed (network error, HTTP error status). */
  UPLOAD_FAILED: 4,
  /** Token, PIN or certificate problem. */
  TOKEN: 5,
  /** The document cannot be signed (encrypted, damaged, anchor missing, image missing). */
  DOCUMENT: 6,
  /** No answer in time (the person did not finish, or the token hangs). */
  TIMEOUT: 7,
  /** Kyso Agent is not running, cannot be reached, or refused this website. */
  AGENT_UNAVAILABLE: 8,
  /** A vgca_sign_files batch where some files failed (see Files[].Status). */
  PARTIAL: 9,
  /** Verification ran and at least one signature is not valid. */
  INVALID_SIGNATURE: 10,
  /** The plugin function exists, Kyso does not offer it (XML, Office, ...). */
  UNSUPPORTED: 11,
  /** Anything else (the agent's INTERNAL_ERROR, ...). */
  OTHER: 99,
} as const;

export type VgcaStatus = (typeof VGCA_STATUS)[keyof typeof VGCA_STATUS];

/** Codes the compatibility script adds to the protocol catalog (page-side failures). */
export const VGCA_MESSAGES = {
  VGCA_BAD_PARAMS: {
    vi: 'Tham số gửi cho chức năng ký số không hợp lệ. Báo lỗi cho nhà phát triển hệ thống.',
    en: 'The parameters sent to the signing function are not valid. Report this to the developer of the system.',
  },
  VGCA_DOWNLOAD_FAILED: {
    vi: 'Không tải được văn bản cần ký từ hệ thống. Kiểm tra kết nối mạng, đăng nhập lại rồi thử lại.',
    en: 'The document to sign could not be downloaded from the system. Check the network, log in again and retry.',
  },
  VGCA_UPLOAD_FAILED: {
    vi: 'Đã ký nhưng không gửi được văn bản đã ký lên hệ thống. Thử lại; nếu vẫn lỗi, báo cho bộ phận CNTT.',
    en: 'The document was signed but could not be sent back to the system. Retry; if it still fails, tell IT.',
  },
  VGCA_NO_CERTIFICATE: {
    vi: 'Không tìm thấy chứng thư số dùng được để ký. Cắm thiết bị ký số (USB token) rồi thử lại.',
    en: 'No certificate that can sign was found. Plug in your token, then retry.',
  },
  VGCA_PARTIAL: {
    vi: 'Một số văn bản chưa ký được. Xem trạng thái của từng văn bản.',
    en: 'Some documents could not be signed. See the status of each document.',
  },
  VGCA_INVALID_SIGNATURE: {
    vi: 'Văn bản có chữ ký số không hợp lệ hoặc đã bị thay đổi sau khi ký.',
    en: 'The document has a signature that is not valid, or it was changed after signing.',
  },
  VGCA_NO_SIGNATURE: {
    vi: 'Văn bản không có chữ ký số.',
    en: 'The document has no digital signature.',
  },
  VGCA_UNSUPPORTED: {
    vi: 'Kyso chưa hỗ trợ chức năng này. Báo cho nhà phát triển hệ thống.',
    en: 'Kyso does not offer this function yet. Tell the developer of the system.',
  },
} as const satisfies Record<string, LocalisedText>;

export type VgcaMessageCode = keyof typeof VGCA_MESSAGES;

const STATUS_OF_CODE: Record<string, VgcaStatus> = {
  USER_CANCELLED: VGCA_STATUS.CANCELLED,
  AGENT_NOT_RUNNING: VGCA_STATUS.AGENT_UNAVAILABLE,
  LOCAL_NETWORK_ACCESS_BLOCKED: VGCA_STATUS.AGENT_UNAVAILABLE,
  ORIGIN_NOT_ALLOWED: VGCA_STATUS.AGENT_UNAVAILABLE,
  CONNECTION_LOST: VGCA_STATUS.AGENT_UNAVAILABLE,
  PROTOCOL_VERSION_UNSUPPORTED: VGCA_STATUS.AGENT_UNAVAILABLE,
  HOST_NOT_ALLOWED: VGCA_STATUS.AGENT_UNAVAILABLE,
  TIMEOUT: VGCA_STATUS.TIMEOUT,
  MODULE_TIMEOUT: VGCA_STATUS.TIMEOUT,
  VGCA_BAD_PARAMS: VGCA_STATUS.BAD_PARAMS,
  INVALID_INPUT: VGCA_STATUS.BAD_PARAMS,
  HASH_LENGTH_MISMATCH: VGCA_STATUS.BAD_PARAMS,
  MESSAGE_TOO_LARGE: VGCA_STATUS.BAD_PARAMS,
  // The file, not the page's parameters: the person can make it smaller and sign again.
  DOCUMENT_TOO_LARGE: VGCA_STATUS.DOCUMENT,
  VGCA_DOWNLOAD_FAILED: VGCA_STATUS.DOWNLOAD_FAILED,
  VGCA_UPLOAD_FAILED: VGCA_STATUS.UPLOAD_FAILED,
  VGCA_NO_CERTIFICATE: VGCA_STATUS.TOKEN,
  VGCA_PARTIAL: VGCA_STATUS.PARTIAL,
  VGCA_INVALID_SIGNATURE: VGCA_STATUS.INVALID_SIGNATURE,
  VGCA_NO_SIGNATURE: VGCA_STATUS.INVALID_SIGNATURE,
  VGCA_UNSUPPORTED: VGCA_STATUS.UNSUPPORTED,
};

const TOKEN_CODES =
  /^(PIN_|TOKEN_|KEY_|CERTIFICATE_|MECHANISM_|MODULE_|DEVICE_|SIGNING_FAILED|RATE_LIMITED)/;

/** The VGCA Status for a Kyso code (catalog code or one of VGCA_MESSAGES). */
export function statusOf(code: string): VgcaStatus {
  const direct = STATUS_OF_CODE[code];
  if (direct !== undefined) return direct;
  if (code.startsWith('PDF_')) return VGCA_STATUS.DOCUMENT;
  if (TOKEN_CODES.test(code)) return VGCA_STATUS.TOKEN;
  return VGCA_STATUS.OTHER;
}

function isVgcaCode(code: string): code is VgcaMessageCode {
  return Object.prototype.hasOwnProperty.call(VGCA_MESSAGES, code);
}

/** Vietnamese and English text for any code: the agent's catalog, then the script's own. */
export function messagesOf(code: string): LocalisedText {
  if (isVgcaCode(code)) return VGCA_MESSAGES[code];
  if (isErrorCode(code)) return catalog[code];
  return catalog.INTERNAL_ERROR;
}

/** A failure reply in the plugin's shape, with Kyso's code and English text added. */
export interface VgcaFailure {
  Status: number;
  Message: string;
  /** Same text as Message: some integrators read `Error` on failure. */
  Error: string;
  ErrorCode: string;
  MessageEn: string;
  Details?: Record<string, unknown>;
  [extra: string]: unknown;
}

export function failure(
  code: string,
  extra: { messages?: LocalisedText; details?: Record<string, unknown>; detail?: string } = {},
): VgcaFailure {
  const text = extra.messages ?? messagesOf(code);
  const vi = extra.detail ? `${text.vi} (${extra.detail})` : text.vi;
  const en = extra.detail ? `${text.en} (${extra.detail})` : text.en;
  return {
    Status: statusOf(code),
    Message: vi,
    Error: vi,
    ErrorCode: code,
    MessageEn: en,
    ...(extra.details && Object.keys(extra.details).length > 0 ? { Details: extra.details } : {}),
  };
}

/** "25,3 MB" / "25.3 MB": 1024-based, as Windows' file manager shows sizes. */
function size(bytes: number, decimalComma: boolean): string {
  const [value, unit] = bytes >= 1024 * 1024 ? [bytes / (1024 * 1024), 'MB'] : [bytes / 1024, 'KB'];
  const text = (Math.round(value * 10) / 10).toString();
  return `${decimalComma ? text.replace('.', ',') : text} ${unit}`;
}

/**
 * DOCUMENT_TOO_LARGE (Status 6) saying how big the file is and what the agent takes, so the
 * person knows how much smaller it must be. Without both numbers: the catalog's text.
 */
export function tooLargeFailure(details: Record<string, unknown>): VgcaFailure {
  const bytes = details.size;
  const max = details.maxDocumentBytes;
  if (typeof bytes !== 'number' || typeof max !== 'number') {
    return failure('DOCUMENT_TOO_LARGE', { details });
  }
  // A download without Content-Length stops at the limit: its size is known only to exceed it.
  const over = details.sizeAtLeast === true;
  const file = {
    vi: over ? `tệp lớn hơn ${size(max, true)}` : `tệp ${size(bytes, true)}`,
    en: over ? `the file is over ${size(max, false)}` : `the file is ${size(bytes, false)}`,
  };
  return failure('DOCUMENT_TOO_LARGE', {
    details,
    messages: {
      vi: `Văn bản quá lớn để ký số: ${file.vi}, Kyso Agent nhận tối đa ${size(max, true)}. Giảm dung lượng tệp (ví dụ quét lại với độ phân giải thấp hơn, hoặc tách thành nhiều tệp) rồi ký lại; nếu cần ký tệp lớn hơn, nhờ bộ phận CNTT tăng giới hạn limits.maxDocumentBytes của Kyso Agent.`,
      en: `The document is too large to sign: ${file.en}, Kyso Agent takes at most ${size(max, false)}. Make the file smaller (e.g. scan at a lower resolution, or split it) and sign again; to sign larger files, ask IT to raise Kyso Agent's limits.maxDocumentBytes.`,
    },
  });
}

/** An error thrown inside the script with a code from the catalog or VGCA_MESSAGES. */
export class VgcaError extends Error {
  readonly code: string;
  readonly detail: string | undefined;
  readonly details: Record<string, unknown>;

  constructor(code: string, detail?: string, details: Record<string, unknown> = {}) {
    super(detail ? `${code}: ${detail}` : code);
    this.name = 'VgcaError';
    this.code = code;
    this.detail = detail;
    this.details = details;
  }
}

/**
 * DOCUMENT_TOO_LARGE for a file of `size` bytes over the agent's limit, as tooLargeFailure
 * words it. `sizeAtLeast`: no length was declared; the body was only seen to pass the limit.
 */
export function documentTooLarge(
  size: number,
  maxDocumentBytes: number,
  sizeAtLeast = false,
): VgcaError {
  return new VgcaError('DOCUMENT_TOO_LARGE', undefined, {
    size,
    maxDocumentBytes,
    ...(sizeAtLeast ? { sizeAtLeast } : {}),
  });
}
