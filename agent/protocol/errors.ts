/**
 * Every stable error code with what the user should do, Vietnamese first. One catalog for the
 * agent, the CLI, the tray and the browser SDK, so a code means the same words everywhere.
 * Callers switch on the code, never on the text.
 */

export interface LocalisedText {
  vi: string;
  en: string;
}

export const catalog = {
  PIN_INCORRECT: {
    vi: 'Mã PIN không đúng. Hãy nhập lại cẩn thận; nhập sai nhiều lần sẽ khóa thiết bị ký số.',
    en: 'The PIN is incorrect. Enter it again carefully; too many wrong PINs lock the token.',
  },
  PIN_LOCKED: {
    vi: 'Mã PIN đã bị khóa. Liên hệ bộ phận CNTT hoặc đơn vị cấp chứng thư số để mở khóa.',
    en: 'The PIN is locked. Contact your IT staff or the certificate issuer to unlock it.',
  },
  PIN_EXPIRED: {
    vi: 'Mã PIN đã hết hạn hoặc phải đổi. Hãy đổi PIN bằng công cụ của thiết bị rồi thử lại.',
    en: "The PIN has expired or must be changed. Change it with the token's tool and try again.",
  },
  PIN_INVALID: {
    vi: 'Mã PIN không hợp lệ (độ dài hoặc ký tự). Kiểm tra lại mã PIN.',
    en: 'The PIN has an invalid length or characters. Check the PIN.',
  },
  PIN_REQUIRED: {
    vi: 'Cần nhập mã PIN để ký. Hãy nhập mã PIN của thiết bị ký số.',
    en: 'A PIN is needed to sign. Enter the PIN of your token.',
  },
  USER_CANCELLED: {
    vi: 'Người dùng đã hủy thao tác ký.',
    en: 'The user cancelled the signing.',
  },
  CONSENT_QUEUE_FULL: {
    vi: 'Trang web này đã có quá nhiều yêu cầu ký đang chờ người dùng xác nhận. Chờ các yêu cầu trước được trả lời rồi thử lại.',
    en: 'This website already has too many signing requests waiting for the user. Wait for the earlier ones to be answered, then retry.',
  },
  TOKEN_REMOVED: {
    vi: 'Thiết bị ký số đã bị rút ra trong khi đang dùng. Cắm lại thiết bị và thử lại.',
    en: 'The token was removed while in use. Plug it in again and retry.',
  },
  TOKEN_NOT_PRESENT: {
    vi: 'Không tìm thấy thiết bị ký số. Cắm thiết bị (USB token hoặc đầu đọc SIM PKI) rồi thử lại.',
    en: 'No token found. Plug in your USB token or SIM PKI reader and retry.',
  },
  TOKEN_NOT_RECOGNIZED: {
    vi: 'Thiết bị ký số không được nhận dạng. Cài đặt phần mềm (driver) của nhà cung cấp thiết bị.',
    en: "The token is not recognised. Install the token vendor's driver software.",
  },
  DEVICE_MODULE_MISSING: {
    vi: 'Đã nhận ra thiết bị ký số nhưng chưa cài phần mềm (thư viện PKCS#11) cho nó. Cài phần mềm được nêu trong thông báo rồi cắm lại thiết bị.',
    en: 'The token was recognised but its software (PKCS#11 library) is not installed. Install the software named in the message, then replug the token.',
  },
  DEVICE_DATABASE_INVALID: {
    vi: 'Tệp danh mục thiết bị ký số bị lỗi. Cài lại Kyso Agent hoặc báo cho bộ phận CNTT.',
    en: 'The token device database is invalid. Reinstall Kyso Agent or report it to IT.',
  },
  TOKEN_BUSY: {
    vi: 'Thiết bị ký số đang bận. Chờ thao tác trước hoàn tất rồi thử lại.',
    en: 'The token is busy. Wait for the previous operation to finish and retry.',
  },
  KEY_NOT_FOUND: {
    vi: 'Không tìm thấy khóa bí mật tương ứng với chứng thư số trên thiết bị. Chọn chứng thư số khác.',
    en: 'The private key for this certificate is not on the token. Choose another certificate.',
  },
  CERTIFICATE_NOT_FOUND: {
    vi: 'Không tìm thấy chứng thư số đã chọn. Cắm đúng thiết bị ký số hoặc chọn lại chứng thư số.',
    en: 'The chosen certificate was not found. Plug in the right token or choose again.',
  },
  CERTIFICATE_EXPIRED: {
    vi: 'Chứng thư số đã hết hạn. Liên hệ đơn vị cấp để gia hạn chứng thư số.',
    en: 'The certificate has expired. Contact the issuer to renew it.',
  },
  CERTIFICATE_NOT_YET_VALID: {
    vi: 'Chứng thư số chưa có hiệu lực. Kiểm tra đồng hồ máy tính hoặc chờ đến ngày hiệu lực.',
    en: "The certificate is not valid yet. Check the computer's clock or wait until it is valid.",
  },
  CERTIFICATE_UNTRUSTED: {
    vi: 'Chứng thư số không chuỗi được tới nhà cung cấp tin cậy. Liên hệ bộ phận CNTT.',
    en: 'The certificate does not chain to a trusted issuer. Contact your IT staff.',
  },
  KEY_USAGE_NOT_ALLOWED: {
    vi: 'Chứng thư số này không được phép dùng để ký. Chọn chứng thư số ký số khác.',
    en: 'This certificate may not be used for signing. Choose a signing certificate.',
  },
  MECHANISM_UNSUPPORTED: {
    vi: 'Thiết bị ký số không hỗ trợ thuật toán ký được yêu cầu. Chọn thuật toán khác hoặc thiết bị khác.',
    en: 'The token does not support the requested signature algorithm. Choose another algorithm or token.',
  },
  MODULE_LOAD_FAILED: {
    vi: 'Không nạp được thư viện PKCS#11 của thiết bị. Cài lại phần mềm của nhà cung cấp hoặc kiểm tra đường dẫn trong cấu hình.',
    en: "The token's PKCS#11 library could not be loaded. Reinstall the vendor software or check the path in the configuration.",
  },
  MODULE_CRASHED: {
    vi: 'Thư viện của thiết bị ký số bị lỗi và đã được khởi động lại. Thử lại; nếu lặp lại, liên hệ bộ phận CNTT.',
    en: "The token's library crashed and was restarted. Retry; if it happens again, contact your IT staff.",
  },
  MODULE_TIMEOUT: {
    vi: 'Thư viện của thiết bị ký số không phản hồi và đã được khởi động lại. Rút và cắm lại thiết bị rồi thử lại.',
    en: "The token's library stopped responding and was restarted. Unplug and replug the token, then retry.",
  },
  DEVICE_ERROR: {
    vi: 'Thiết bị ký số báo lỗi. Rút ra, cắm lại và thử lại; nếu lặp lại, liên hệ bộ phận CNTT.',
    en: 'The token reported an error. Unplug it, plug it in again and retry; if it persists, contact IT.',
  },
  DEVICE_MEMORY: {
    vi: 'Thiết bị ký số hết bộ nhớ. Rút ra, cắm lại và thử lại.',
    en: 'The token ran out of memory. Unplug it, plug it in again and retry.',
  },
  SIGNING_FAILED: {
    vi: 'Ký số không thành công. Thử lại; nếu lặp lại, chạy "kyso doctor" và gửi kết quả cho bộ phận CNTT.',
    en: 'Signing failed. Retry; if it persists, run "kyso doctor" and send the result to IT.',
  },
  INVALID_INPUT: {
    vi: 'Dữ liệu gửi đến không hợp lệ. Báo lỗi cho nhà phát triển hệ thống.',
    en: 'The request data is invalid. Report this to the developer of the system.',
  },
  HASH_LENGTH_MISMATCH: {
    vi: 'Độ dài giá trị băm không khớp với thuật toán băm. Báo lỗi cho nhà phát triển hệ thống.',
    en: 'The hash length does not match the hash algorithm. Report this to the developer of the system.',
  },
  ORIGIN_NOT_ALLOWED: {
    vi: 'Trang web này chưa được phép dùng ký số trên máy này. Cho phép trang web trong hộp thoại của Kyso, hoặc nhờ bộ phận CNTT thêm trang web vào danh sách được phép.',
    en: 'This website is not allowed to sign on this computer. Approve it in the Kyso dialog, or ask IT to add the site to the allowed list.',
  },
  HOST_NOT_ALLOWED: {
    vi: 'Yêu cầu bị chặn vì tên máy chủ không phải localhost.',
    en: 'The request was blocked because the host name is not a loopback name.',
  },
  RATE_LIMITED: {
    vi: 'Quá nhiều yêu cầu. Chờ một chút rồi thử lại.',
    en: 'Too many requests. Wait a moment and retry.',
  },
  MESSAGE_TOO_LARGE: {
    vi: 'Dữ liệu gửi đến quá lớn.',
    en: 'The message is too large.',
  },
  PROTOCOL_VERSION_UNSUPPORTED: {
    vi: 'Phiên bản giao thức không tương thích. Cập nhật Kyso Agent hoặc hệ thống quản lý văn bản.',
    en: 'Incompatible protocol version. Update Kyso Agent or the document system.',
  },
  PDF_ENCRYPTED: {
    vi: 'Tệp PDF được mã hóa bằng mật khẩu nên không thể ký. Hãy dùng bản không mã hóa.',
    en: 'The PDF is password-encrypted and cannot be signed. Use an unencrypted copy.',
  },
  PDF_MALFORMED: {
    vi: 'Tệp PDF bị hỏng hoặc không đúng định dạng. Xuất lại tệp PDF từ phần mềm soạn thảo.',
    en: 'The PDF is damaged or malformed. Export the PDF again from the authoring software.',
  },
  PDF_UNSUPPORTED: {
    vi: 'Tệp PDF có cấu trúc chưa được hỗ trợ để ký.',
    en: 'The PDF uses a structure that is not supported for signing.',
  },
  PDF_ANCHOR_NOT_FOUND: {
    vi: 'Không tìm thấy vị trí đặt chữ ký trong văn bản. Kiểm tra lại mẫu văn bản.',
    en: 'The signature placement text was not found in the document. Check the document template.',
  },
  PDF_PLACEMENT_INVALID: {
    vi: 'Vị trí đặt chữ ký không hợp lệ (trang không tồn tại hoặc khung nằm ngoài trang). Chọn lại trang và vị trí.',
    en: 'The signature position is invalid (no such page, or the box lies outside the page). Choose the page and position again.',
  },
  PDF_IMAGE_INVALID: {
    vi: 'Ảnh chữ ký hoặc con dấu không đọc được hoặc quá lớn. Dùng ảnh PNG nền trong suốt, dưới 25 triệu điểm ảnh.',
    en: 'The signature or seal image cannot be read or is too large. Use a PNG with a transparent background, under 25 megapixels.',
  },
  PDF_IMAGE_REQUIRED: {
    vi: 'Kiểu chữ ký này cần ảnh chữ ký (hoặc ảnh con dấu). Chọn tệp ảnh PNG rồi ký lại.',
    en: 'This signature type needs a signature (or seal) image. Choose a PNG file and sign again.',
  },
  PDF_CERTIFIED_NO_CHANGES: {
    vi: 'Văn bản đã được chứng thực và không cho phép thêm chữ ký.',
    en: 'The document is certified and does not allow further signatures.',
  },
  FILE_EXISTS: {
    vi: 'Tệp đích đã tồn tại. Chọn tên tệp khác.',
    en: 'The output file already exists. Choose another name.',
  },
  CONFIG_INVALID: {
    vi: 'Tệp cấu hình Kyso không hợp lệ. Sửa mục được nêu trong chi tiết lỗi hoặc xóa tệp để dùng mặc định.',
    en: 'The Kyso configuration file is invalid. Fix the setting named in the error details, or delete the file to use defaults.',
  },
  PORT_IN_USE: {
    vi: 'Cổng của Kyso Agent đang bị chương trình khác dùng (có thể Kyso đã chạy rồi). Chạy "kyso doctor" để biết chương trình nào, đóng nó hoặc đặt cổng khác trong cấu hình.',
    en: 'The Kyso Agent port is used by another program (Kyso may already be running). Run "kyso doctor" to see which, close it, or set another port in the configuration.',
  },
  // Raised by the browser SDK itself (CLIENT_ERROR_CODES), never sent by the agent.
  LOCAL_NETWORK_ACCESS_BLOCKED: {
    vi: 'Trình duyệt đã chặn trang web kết nối tới Kyso Agent trên máy này (quyền "truy cập mạng cục bộ"). Bấm biểu tượng bên trái thanh địa chỉ và cho phép quyền này, hoặc nhờ bộ phận CNTT thêm trang web vào chính sách LocalNetworkAccessAllowedForUrls.',
    en: 'The browser blocked this website from reaching Kyso Agent on this computer (local network access permission). Allow it from the icon left of the address bar, or ask IT to add the site to the LocalNetworkAccessAllowedForUrls policy.',
  },
  AGENT_NOT_RUNNING: {
    vi: 'Kyso Agent chưa chạy trên máy này. Mở ứng dụng Kyso (hoặc cài đặt Kyso Agent) rồi thử lại.',
    en: 'Kyso Agent is not running on this computer. Open the Kyso app (or install Kyso Agent), then retry.',
  },
  TIMEOUT: {
    vi: 'Kyso Agent không trả lời kịp. Thử lại; nếu lặp lại, khởi động lại ứng dụng Kyso.',
    en: 'Kyso Agent did not answer in time. Retry; if it happens again, restart the Kyso app.',
  },
  CONNECTION_LOST: {
    vi: 'Mất kết nối tới Kyso Agent. Kiểm tra ứng dụng Kyso vẫn đang chạy rồi thử lại.',
    en: 'The connection to Kyso Agent was lost. Check that the Kyso app is still running, then retry.',
  },
  INTERNAL_ERROR: {
    vi: 'Lỗi nội bộ. Chạy "kyso doctor" và gửi kết quả cho bộ phận CNTT.',
    en: 'Internal error. Run "kyso doctor" and send the result to IT.',
  },
  CERTIFICATE_REVOKED: {
    vi: 'Chứng thư số đã bị thu hồi nên không được dùng để ký (xem thời điểm và lý do thu hồi trong chi tiết lỗi). Liên hệ tổ chức cung cấp dịch vụ chứng thực chữ ký số để được cấp chứng thư số mới.',
    en: 'The certificate has been revoked and must not be used to sign (see the revocation time and reason in the error details). Contact the certificate issuer for a new certificate.',
  },
  CERTIFICATE_STATUS_UNKNOWN: {
    vi: 'Máy chủ kiểm tra trạng thái (OCSP/CRL) của tổ chức cấp chứng thư số không nhận ra chứng thư số này. Kiểm tra lại chứng thư số đã chọn hoặc liên hệ tổ chức cấp chứng thư số.',
    en: "The certificate issuer's status service (OCSP/CRL) does not know this certificate. Check the selected certificate or contact the issuer.",
  },
  CERTIFICATE_STATUS_UNAVAILABLE: {
    vi: 'Không kiểm tra được trạng thái thu hồi của chứng thư số vì không kết nối được máy chủ OCSP/CRL. Kiểm tra kết nối mạng (tường lửa, proxy) rồi thử lại; nếu vẫn lỗi, báo bộ phận CNTT.',
    en: 'The revocation status of the certificate could not be checked: the OCSP/CRL service is unreachable. Check the network connection (firewall, proxy) and retry; if it persists, tell IT.',
  },
  TIMESTAMP_FAILED: {
    vi: 'Không lấy được dấu thời gian từ máy chủ cấp dấu thời gian (TSA). Kiểm tra kết nối mạng rồi ký lại sau ít phút.',
    en: 'No timestamp could be obtained from the timestamp server (TSA). Check the network connection and sign again in a few minutes.',
  },
  TIMESTAMP_INVALID: {
    vi: 'Dấu thời gian nhận được từ máy chủ TSA không hợp lệ (sai chữ ký, sai dữ liệu hoặc chứng thư số của TSA không dùng để cấp dấu thời gian). Báo bộ phận CNTT kiểm tra địa chỉ máy chủ TSA trong cấu hình.',
    en: 'The timestamp received from the TSA is invalid (bad signature, wrong data, or a TSA certificate not meant for timestamping). Ask IT to check the TSA address in the configuration.',
  },
} as const satisfies Record<string, LocalisedText>;

export type ErrorCode = keyof typeof catalog;

/** Every code, in catalog order. */
export const ERROR_CODES = Object.keys(catalog) as readonly ErrorCode[];

/**
 * Codes the browser SDK raises itself, without an answer from the agent (ORIGIN_NOT_ALLOWED
 * also comes from the agent, as error.data.reason, when a request arrives unapproved).
 */
export const CLIENT_ERROR_CODES = [
  'AGENT_NOT_RUNNING',
  'LOCAL_NETWORK_ACCESS_BLOCKED',
  'ORIGIN_NOT_ALLOWED',
  'TIMEOUT',
  'CONNECTION_LOST',
] as const satisfies readonly ErrorCode[];

export type ClientErrorCode = (typeof CLIENT_ERROR_CODES)[number];

export function isErrorCode(value: unknown): value is ErrorCode {
  // hasOwnProperty, not Object.hasOwn: the SDK targets ES2020 browsers.
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(catalog, value);
}

/** The user-facing text of a code; INTERNAL_ERROR's for a code this version does not know. */
export function errorMessage(code: string): LocalisedText {
  return isErrorCode(code) ? catalog[code] : catalog.INTERNAL_ERROR;
}
