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
    vi: 'Mã PIN đã bị khóa. Liên hệ bộ phận CNTT hoặc nơi cấp chứng thư số để mở khóa.',
    en: 'The PIN is locked. Contact your IT staff or the certificate issuer to unlock it.',
  },
  PIN_EXPIRED: {
    vi: 'Mã PIN đã hết hạn hoặc phải đổi. Đổi mã PIN bằng phần mềm quản lý của thiết bị ký số rồi thử lại.',
    en: "The PIN has expired or must be changed. Change it with the token's tool and try again.",
  },
  PIN_INVALID: {
    vi: 'Mã PIN không hợp lệ (sai độ dài hoặc có ký tự không được phép). Kiểm tra lại mã PIN.',
    en: 'The PIN has an invalid length or characters. Check the PIN.',
  },
  PIN_REQUIRED: {
    vi: 'Cần mã PIN để ký số. Nhập mã PIN của thiết bị ký số.',
    en: 'A PIN is needed to sign. Enter the PIN of your token.',
  },
  USER_CANCELLED: {
    vi: 'Người dùng đã hủy việc ký số.',
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
    vi: 'Không tìm thấy thiết bị ký số. Cắm thiết bị ký số (USB token hoặc đầu đọc SIM PKI) rồi thử lại.',
    en: 'No token found. Plug in your USB token or SIM PKI reader and retry.',
  },
  TOKEN_NOT_RECOGNIZED: {
    vi: 'Không nhận ra thiết bị ký số. Cài phần mềm (driver) của thiết bị, do nơi cấp chứng thư số hoặc nhà sản xuất thiết bị cung cấp.',
    en: 'The token is not recognised. Install its driver software, from the certificate issuer or the token manufacturer.',
  },
  DEVICE_MODULE_MISSING: {
    vi: 'Đã nhận ra thiết bị ký số nhưng máy chưa cài phần mềm (thư viện PKCS#11) của thiết bị. Cài phần mềm nêu trong thông báo rồi cắm lại thiết bị.',
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
    vi: 'Thiết bị ký số không có khóa bí mật của chứng thư số này. Chọn chứng thư số khác.',
    en: 'The private key for this certificate is not on the token. Choose another certificate.',
  },
  CERTIFICATE_NOT_FOUND: {
    vi: 'Không tìm thấy chứng thư số đã chọn. Cắm đúng thiết bị ký số hoặc chọn lại chứng thư số.',
    en: 'The chosen certificate was not found. Plug in the right token or choose again.',
  },
  CERTIFICATE_EXPIRED: {
    vi: 'Chứng thư số đã hết hạn. Liên hệ nơi cấp chứng thư số để gia hạn.',
    en: 'The certificate has expired. Contact the issuer to renew it.',
  },
  CERTIFICATE_NOT_YET_VALID: {
    vi: 'Chứng thư số chưa có hiệu lực. Kiểm tra đồng hồ máy tính hoặc chờ đến ngày hiệu lực.',
    en: "The certificate is not valid yet. Check the computer's clock or wait until it is valid.",
  },
  CERTIFICATE_UNTRUSTED: {
    vi: 'Không xác minh được chuỗi chứng thư số đến nơi cấp tin cậy. Liên hệ bộ phận CNTT.',
    en: 'The certificate chain could not be verified up to a trusted issuer. Contact your IT staff.',
  },
  KEY_USAGE_NOT_ALLOWED: {
    vi: 'Chứng thư số này không được phép dùng để ký số. Chọn một chứng thư số dùng để ký số.',
    en: 'This certificate may not be used for signing. Choose a signing certificate.',
  },
  MECHANISM_UNSUPPORTED: {
    vi: 'Thiết bị ký số không hỗ trợ thuật toán ký được yêu cầu. Chọn thuật toán khác hoặc thiết bị khác.',
    en: 'The token does not support the requested signature algorithm. Choose another algorithm or token.',
  },
  MODULE_LOAD_FAILED: {
    vi: 'Không nạp được thư viện PKCS#11 của thiết bị ký số. Cài lại phần mềm của thiết bị hoặc kiểm tra đường dẫn trong tệp cấu hình.',
    en: "The token's PKCS#11 library could not be loaded. Reinstall the token software or check the path in the configuration file.",
  },
  MODULE_CRASHED: {
    vi: 'Thư viện PKCS#11 của thiết bị ký số bị lỗi và đã được khởi động lại. Thử lại; nếu vẫn lỗi, liên hệ bộ phận CNTT.',
    en: "The token's PKCS#11 library crashed and was restarted. Retry; if it happens again, contact your IT staff.",
  },
  MODULE_TIMEOUT: {
    vi: 'Thư viện PKCS#11 của thiết bị ký số không phản hồi và đã được khởi động lại. Rút thiết bị ra, cắm lại rồi thử lại.',
    en: "The token's PKCS#11 library stopped responding and was restarted. Unplug and replug the token, then retry.",
  },
  DEVICE_ERROR: {
    vi: 'Thiết bị ký số báo lỗi. Rút thiết bị ra, cắm lại rồi thử lại; nếu vẫn lỗi, liên hệ bộ phận CNTT.',
    en: 'The token reported an error. Unplug it, plug it in again and retry; if it persists, contact IT.',
  },
  DEVICE_MEMORY: {
    vi: 'Thiết bị ký số hết bộ nhớ. Rút thiết bị ra, cắm lại rồi thử lại.',
    en: 'The token ran out of memory. Unplug it, plug it in again and retry.',
  },
  SIGNING_FAILED: {
    vi: 'Ký số không thành công. Thử lại; nếu vẫn lỗi, chạy "kyso doctor" và gửi kết quả cho bộ phận CNTT.',
    en: 'Signing failed. Retry; if it persists, run "kyso doctor" and send the result to IT.',
  },
  INVALID_INPUT: {
    vi: 'Dữ liệu gửi đến không hợp lệ. Báo lỗi cho đơn vị phát triển hệ thống quản lý văn bản.',
    en: 'The request data is invalid. Report this to the developer of the document system.',
  },
  HASH_LENGTH_MISMATCH: {
    vi: 'Độ dài giá trị băm không khớp với thuật toán băm. Báo lỗi cho đơn vị phát triển hệ thống quản lý văn bản.',
    en: 'The hash length does not match the hash algorithm. Report this to the developer of the document system.',
  },
  ORIGIN_NOT_ALLOWED: {
    vi: 'Trang web này chưa được phép ký số trên máy tính này. Cho phép trang web trong hộp thoại của Kyso, hoặc nhờ bộ phận CNTT thêm trang web vào danh sách được phép.',
    en: 'This website is not allowed to sign on this computer. Allow it in the Kyso dialog, or ask IT to add the website to the allowed list.',
  },
  HOST_NOT_ALLOWED: {
    vi: 'Yêu cầu bị chặn vì tên máy chủ không phải tên nội bộ (localhost).',
    en: 'The request was blocked because the host name is not a loopback name.',
  },
  RATE_LIMITED: {
    vi: 'Quá nhiều yêu cầu. Chờ một chút rồi thử lại.',
    en: 'Too many requests. Wait a moment and retry.',
  },
  TOO_MANY_CONNECTIONS: {
    vi: 'Có quá nhiều kết nối đến Kyso Agent (từ trang web này hoặc từ các trang chưa được cho phép). Đóng bớt các thẻ trình duyệt rồi thử lại.',
    en: 'Too many connections to Kyso Agent (from this website, or from websites not yet approved). Close some browser tabs and retry.',
  },
  AGENT_BUSY: {
    vi: 'Kyso Agent đang xử lý quá nhiều dữ liệu cùng lúc. Chờ một chút rồi thử lại.',
    en: 'Kyso Agent is handling too much data at once. Wait a moment and retry.',
  },
  ORIGIN_APPROVAL_PENDING: {
    vi: 'Trang web này chưa được người dùng cho phép. Chờ người dùng đồng ý (gọi agent.info để chờ) rồi thử lại.',
    en: 'The user has not allowed this website yet. Wait for the user to allow it (agent.info waits) and retry.',
  },
  MESSAGE_TOO_LARGE: {
    vi: 'Dữ liệu gửi đến quá lớn. Chia thành nhiều lần ký nhỏ hơn.',
    en: 'The message is too large. Sign in several smaller batches.',
  },
  PROTOCOL_VERSION_UNSUPPORTED: {
    vi: 'Phiên bản giao thức không tương thích. Cập nhật Kyso Agent hoặc hệ thống quản lý văn bản.',
    en: 'Incompatible protocol version. Update Kyso Agent or the document system.',
  },
  PDF_ENCRYPTED: {
    vi: 'Tệp PDF được mã hóa nên không thể ký (chi tiết lỗi cho biết tệp cần mật khẩu để mở, hay chỉ bị giới hạn quyền). Lưu lại tệp ở dạng không mã hóa (bỏ mật khẩu và giới hạn quyền) rồi ký bản đó.',
    en: 'The PDF is encrypted and cannot be signed (the error details say whether it needs a password to open or only restricts permissions). Save it again without encryption (no password, no permission restrictions) and sign that copy.',
  },
  PDF_MALFORMED: {
    vi: 'Tệp PDF bị hỏng hoặc không đúng định dạng. Xuất lại tệp PDF từ phần mềm soạn thảo.',
    en: 'The PDF is damaged or malformed. Export the PDF again from the authoring software.',
  },
  PDF_UNSUPPORTED: {
    vi: 'Tệp PDF có cấu trúc mà Kyso chưa hỗ trợ ký số.',
    en: 'The PDF uses a structure that is not supported for signing.',
  },
  PDF_ANCHOR_NOT_FOUND: {
    vi: 'Không tìm thấy vị trí đặt chữ ký số trong văn bản. Kiểm tra lại mẫu văn bản.',
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
    vi: 'Văn bản đã được chứng thực và không cho phép thêm chữ ký số.',
    en: 'The document is certified and does not allow further signatures.',
  },
  PDF_CERTIFY_NOT_FIRST: {
    vi: 'Không thể chứng thực (certify) văn bản này vì văn bản đã có chữ ký: chữ ký chứng thực phải là chữ ký đầu tiên. Ký thường (không chứng thực), hoặc chứng thực bản gốc chưa ký.',
    en: 'This document cannot be certified because it is already signed: a certification must be the first signature. Sign it without certifying, or certify the unsigned original.',
  },
  DOCUMENT_TOO_LARGE: {
    vi: 'Văn bản quá lớn để ký qua Kyso Agent (xem giới hạn trong chi tiết lỗi). Giảm dung lượng tệp (ví dụ quét lại với độ phân giải thấp hơn) hoặc nhờ bộ phận CNTT tăng giới hạn limits.maxDocumentBytes.',
    en: 'The document is too large to sign through Kyso Agent (see the limit in the error details). Make the file smaller (e.g. scan at a lower resolution) or ask IT to raise limits.maxDocumentBytes.',
  },
  DISK_FULL: {
    vi: 'Ổ đĩa không còn đủ chỗ trống để lưu văn bản (dung lượng cần và còn trống ở chi tiết lỗi). Xóa bớt tệp hoặc dọn thùng rác trên ổ đĩa đó rồi thử lại; không có gì bị ghi dở.',
    en: 'The disk does not have enough free space for the document (the space needed and free are in the error details). Delete some files or empty the recycle bin on that disk, then retry; nothing was left half-written.',
  },
  DOCUMENT_NOT_FOUND: {
    vi: 'Không tìm thấy văn bản đã tải lên Kyso Agent (đã bị giải phóng hoặc kết nối đã đóng). Tải văn bản lên lại rồi thử lại.',
    en: 'The document uploaded to Kyso Agent was not found (released, or the connection closed). Upload it again and retry.',
  },
  DOCUMENT_INCOMPLETE: {
    vi: 'Văn bản chưa được tải lên đầy đủ hoặc bị sai lệch khi truyền. Tải văn bản lên lại rồi thử lại.',
    en: 'The document was not uploaded completely, or it was altered in transfer. Upload it again and retry.',
  },
  FILE_NOT_FOUND: {
    vi: 'Không tìm thấy tệp hoặc không đọc được tệp (xem đường dẫn trong chi tiết lỗi). Kiểm tra lại tên và thư mục của tệp.',
    en: 'The file was not found or cannot be read (see the path in the error details). Check the file name and folder.',
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
    vi: 'Cổng của Kyso Agent đang bị chương trình khác dùng (có thể Kyso đang chạy rồi). Chạy "kyso doctor" để biết chương trình nào, đóng nó hoặc đặt cổng khác trong cấu hình.',
    en: 'The Kyso Agent port is used by another program (Kyso may already be running). Run "kyso doctor" to see which, close it, or set another port in the configuration.',
  },
  // Raised by the browser SDK itself (CLIENT_ERROR_CODES), never sent by the agent.
  LOCAL_NETWORK_ACCESS_BLOCKED: {
    vi: 'Trình duyệt đã chặn trang web kết nối tới Kyso Agent trên máy này (quyền "truy cập mạng cục bộ"). Bấm biểu tượng bên trái thanh địa chỉ và cho phép quyền này, hoặc nhờ bộ phận CNTT thêm trang web vào chính sách LocalNetworkAccessAllowedForUrls.',
    en: 'The browser blocked this website from reaching Kyso Agent on this computer (local network access permission). Allow it from the icon left of the address bar, or ask IT to add the website to the LocalNetworkAccessAllowedForUrls policy.',
  },
  PORT_IN_USE_BY_OTHER_PROGRAM: {
    vi: 'Cổng của Kyso Agent trên máy này đang bị một chương trình khác chiếm, nên trang web không nói chuyện được với Kyso. Mở ứng dụng Kyso và chạy "kyso doctor" để biết chương trình nào, đóng chương trình đó rồi thử lại, hoặc nhờ bộ phận CNTT.',
    en: 'Another program holds the Kyso Agent port on this computer, so the website cannot talk to Kyso. Open the Kyso app and run "kyso doctor" to see which program, close it and retry, or ask your IT staff.',
  },
  AGENT_UPDATE_REQUIRED: {
    vi: 'Kyso Agent trên máy này đã cũ so với hệ thống quản lý văn bản. Cập nhật Kyso Agent lên phiên bản mới rồi thử lại (hoặc nhờ bộ phận CNTT).',
    en: 'Kyso Agent on this computer is older than the document system needs. Update Kyso Agent, then retry (or ask your IT staff).',
  },
  PAGE_UPDATE_REQUIRED: {
    vi: 'Hệ thống quản lý văn bản dùng thư viện Kyso cũ hơn Kyso Agent trên máy này. Tải lại trang (Ctrl+F5) rồi thử lại; nếu vẫn lỗi, báo quản trị hệ thống cập nhật thư viện Kyso của trang.',
    en: "The document system uses an older Kyso library than the Kyso Agent on this computer. Reload the page (Ctrl+F5) and retry; if it persists, ask the system's administrators to update the page's Kyso library.",
  },
  AGENT_NOT_RUNNING: {
    vi: 'Kyso Agent chưa chạy trên máy này. Mở ứng dụng Kyso (hoặc cài đặt Kyso Agent) rồi thử lại.',
    en: 'Kyso Agent is not running on this computer. Open the Kyso app (or install Kyso Agent), then retry.',
  },
  TIMEOUT: {
    vi: 'Kyso Agent không trả lời kịp. Thử lại; nếu vẫn lỗi, khởi động lại ứng dụng Kyso.',
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
 * AGENT_UPDATE_REQUIRED / PAGE_UPDATE_REQUIRED come from the agent.info handshake and name the
 * side that must update.
 */
export const CLIENT_ERROR_CODES = [
  'AGENT_NOT_RUNNING',
  'PORT_IN_USE_BY_OTHER_PROGRAM',
  'LOCAL_NETWORK_ACCESS_BLOCKED',
  'ORIGIN_NOT_ALLOWED',
  'AGENT_UPDATE_REQUIRED',
  'PAGE_UPDATE_REQUIRED',
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
