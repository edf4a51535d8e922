/**
 * Each check turns facts into findings with a severity and a Vietnamese + English fix. They
 * are pure functions of their inputs so tests can feed edge cases (locked PIN, expiring
 * certificate, port held by another program) without hardware.
 */
import type { X509Certificate } from 'node:crypto';
import type { HotplugWatcher } from '../devices/index.ts';
import { catalog } from '../errors/index.ts';
import { keyUsageAllowsSigning } from '../pki/index.ts';
import { formatTime } from '../protocol/index.ts';
import type { CertificateInfo, ModuleStatus, TokenInfo } from '../tokens/index.ts';
import {
  BROWSERS,
  linuxPolicySnippet,
  originsAllowedByLinuxPolicy,
  registrySnippet,
} from './browser.ts';
import { checkChain } from './chain.ts';
import { programName, type PortState } from './port.ts';
import type { Finding, Text } from './types.ts';

const DAY_MS = 86_400_000;
export const EXPIRY_WARNING_DAYS = 30;

export function portFindings(port: number, state: PortState): Finding[] {
  if (state.state === 'free') {
    return [
      {
        id: 'port.free',
        section: 'port',
        severity: 'warning',
        message: {
          vi: `Cổng ${port} đang trống: Kyso Agent chưa chạy, trang web sẽ báo "dịch vụ ký số chưa chạy".`,
          en: `Port ${port} is free: Kyso Agent is not running, so websites will report the signing service offline.`,
        },
        fix: {
          vi: 'Mở ứng dụng Kyso (biểu tượng ở khay hệ thống) hoặc chạy "kyso start".',
          en: 'Open the Kyso app (tray icon) or run "kyso start".',
        },
        facts: { port },
      },
    ];
  }
  if (state.state === 'error') {
    return [
      {
        id: 'port.error',
        section: 'port',
        severity: 'error',
        message: {
          vi: `Không kiểm tra được cổng ${port} (${state.code}).`,
          en: `Could not check port ${port} (${state.code}).`,
        },
        fix: {
          vi: 'Kiểm tra phần mềm tường lửa hoặc chính sách bảo mật chặn cổng trên 127.0.0.1.',
          en: 'Check for firewall or security software blocking ports on 127.0.0.1.',
        },
        facts: { port, code: state.code },
      },
    ];
  }
  const owner = state.owner;
  if (owner && /kyso|agent\/cli\/main\.ts|tray\//i.test(owner.command)) {
    return [
      {
        id: 'port.agent',
        section: 'port',
        severity: 'ok',
        message: {
          vi: `Kyso Agent đang chạy trên cổng ${port} (tiến trình ${owner.pid}).`,
          en: `Kyso Agent is running on port ${port} (process ${owner.pid}).`,
        },
        facts: { port, pid: owner.pid },
      },
    ];
  }
  return [
    {
      id: 'port.in-use',
      section: 'port',
      severity: 'error',
      message: owner
        ? {
            vi: `Cổng ${port} đang bị chương trình khác chiếm: ${programName(owner.command) || '?'} (tiến trình ${owner.pid}).`,
            en: `Port ${port} is used by another program: ${programName(owner.command) || '?'} (process ${owner.pid}).`,
          }
        : {
            vi: `Cổng ${port} đang bị dùng bởi một chương trình không xác định được (có thể của người dùng khác, hoặc Kyso Agent của phiên khác).`,
            en: `Port ${port} is in use by a program we cannot identify (maybe another user's, or Kyso Agent of another session).`,
          },
      fix: {
        vi: 'Đóng chương trình đó, hoặc đặt cổng khác trong tệp cấu hình ("port") và cập nhật hệ thống văn bản.',
        en: 'Close that program, or set another "port" in the config file and update the document system.',
      },
      facts: { port, pid: owner?.pid ?? null, command: owner?.command ?? null },
    },
  ];
}

export function moduleFindings(
  candidates: { path: string; product: string; certainty: string }[],
  statuses: ModuleStatus[],
): Finding[] {
  const findings: Finding[] = [];
  if (statuses.length === 0) {
    findings.push({
      id: 'modules.none',
      section: 'modules',
      severity: 'error',
      message: {
        vi: 'Không tìm thấy thư viện PKCS#11 nào của thiết bị ký số trên máy.',
        en: 'No token PKCS#11 library was found on this computer.',
      },
      fix: {
        vi: 'Cài phần mềm (driver) của thiết bị ký số do nơi cấp chứng thư số cung cấp, hoặc khai báo đường dẫn trong tệp cấu hình ("modules").',
        en: 'Install the token software (driver) from the certificate issuer, or list its path in the config file ("modules").',
      },
    });
  }
  for (const status of statuses) {
    const known = candidates.find((c) => c.path === status.path);
    const name = known?.product ?? status.description ?? status.path;
    if (status.state === 'loaded') {
      findings.push({
        id: 'module.loaded',
        section: 'modules',
        severity: 'ok',
        message: {
          vi: `Đã nạp ${name}: ${status.path}${status.cryptokiVersion ? ` (PKCS#11 ${status.cryptokiVersion})` : ''}.`,
          en: `Loaded ${name}: ${status.path}${status.cryptokiVersion ? ` (PKCS#11 ${status.cryptokiVersion})` : ''}.`,
        },
        facts: {
          path: status.path,
          manufacturer: status.manufacturer ?? null,
          description: status.description ?? null,
        },
      });
    } else {
      const code = status.error?.code ?? 'MODULE_LOAD_FAILED';
      const fix =
        code in catalog ? catalog[code as keyof typeof catalog] : catalog.MODULE_LOAD_FAILED;
      findings.push({
        id: status.state === 'restarting' ? 'module.restarting' : 'module.failed',
        section: 'modules',
        severity: status.state === 'restarting' ? 'warning' : 'error',
        message: {
          vi: `Không nạp được ${name}: ${status.path} — ${status.error?.detail ?? code}.`,
          en: `Could not load ${name}: ${status.path} — ${status.error?.detail ?? code}.`,
        },
        fix,
        facts: { path: status.path, code },
      });
    }
  }
  return findings;
}

export function usbFindings(
  watcher: Pick<HotplugWatcher, 'mode' | 'reason' | 'devices'>,
): Finding[] {
  const findings: Finding[] = [];
  if (watcher.mode === 'polling') {
    findings.push({
      id: 'usb.polling',
      section: 'usb',
      severity: 'info',
      message: {
        vi: `Không nhận được sự kiện cắm/rút USB (${watcher.reason ?? '?'}); Kyso dò khe thiết bị mỗi giây thay thế.`,
        en: `No USB plug events (${watcher.reason ?? '?'}); Kyso polls the token slots every second instead.`,
      },
    });
  }
  for (const d of watcher.devices()) {
    const label = `${d.device.vendor} ${d.device.model} [${d.usb.vid}:${d.usb.pid}]`;
    if (d.installedModule) {
      findings.push({
        id: 'usb.recognised',
        section: 'usb',
        severity: 'ok',
        message: {
          vi: `Nhận ra thiết bị ${label}, dùng thư viện ${d.installedModule.path}.`,
          en: `Recognised ${label}, driven by ${d.installedModule.path}.`,
        },
        facts: { device: d.device.id, module: d.installedModule.path },
      });
    } else {
      findings.push({
        id: 'usb.module-missing',
        section: 'usb',
        severity: 'error',
        message: {
          vi: `Đã cắm ${label} nhưng chưa cài phần mềm cho thiết bị này.`,
          en: `${label} is plugged in but its software is not installed.`,
        },
        fix: d.install ? { vi: d.install.vi, en: d.install.en } : catalog.TOKEN_NOT_RECOGNIZED,
        facts: { device: d.device.id, install: d.install?.product ?? null },
      });
    }
  }
  if (watcher.mode === 'usb' && watcher.devices().length === 0) {
    findings.push({
      id: 'usb.none',
      section: 'usb',
      severity: 'info',
      message: {
        vi: 'Không thấy thiết bị ký số hay đầu đọc nào có trong danh mục trên cổng USB.',
        en: 'No token or reader from the device database is on the USB bus.',
      },
    });
  }
  return findings;
}

/** True when the token id carries the `:<8 hex>` discriminator of a serial shared by tokens. */
export function hasSharedSerialId(token: Pick<TokenInfo, 'id' | 'serialNumber'>): boolean {
  if (token.serialNumber === '') return false;
  const suffix = /:([0-9a-f]{8})$/.exec(token.id);
  return suffix !== null && token.id.slice(0, suffix.index).endsWith(`:${token.serialNumber}`);
}

/** How the PIN is entered, what may appear after login, and shared serials: notes per token. */
function tokenNotes(t: TokenInfo, name: string): Finding[] {
  const notes: Finding[] = [];
  // No serial and no token id (it holds the serial): reports go into support bundles.
  const facts = { label: t.label };
  const pinEntry =
    t.pinEntry ?? (!t.loginRequired ? 'none' : t.protectedAuthenticationPath ? 'reader' : 'host');
  if (pinEntry === 'reader') {
    notes.push({
      id: 'token.pin-entry-reader',
      section: 'tokens',
      severity: 'info',
      message: {
        vi: `Thiết bị ${name}: mã PIN nhập trên bàn phím của đầu đọc (Kyso không hỏi mã PIN, chỉ báo khi đầu đọc chờ).`,
        en: `Token ${name}: the PIN is entered on the reader's keypad (Kyso does not ask for it, it only says when the reader waits).`,
      },
      facts: { ...facts, pinEntry },
    });
  } else if (pinEntry === 'none') {
    notes.push({
      id: 'token.no-login',
      section: 'tokens',
      severity: 'warning',
      message: {
        vi: `Thiết bị ${name}: không cần mã PIN để ký — bất kỳ ai cầm thiết bị cũng ký được.`,
        en: `Token ${name}: no PIN is needed to sign — anyone holding the device can sign.`,
      },
      fix: {
        vi: 'Giữ thiết bị cẩn thận và rút ra khi không dùng; nếu thiết bị hỗ trợ, đặt mã PIN bằng phần mềm của nhà cung cấp.',
        en: "Keep the device safe and unplug it when not in use; if it supports one, set a PIN with the vendor's tool.",
      },
      facts: { ...facts, pinEntry },
    });
  }
  if (t.mayHoldMoreAfterLogin === true) {
    notes.push({
      id: 'token.more-after-login',
      section: 'tokens',
      severity: 'info',
      message: {
        vi: `Thiết bị ${name}: có thể còn chứng thư số và khóa chỉ hiện ra sau khi nhập mã PIN (đối tượng riêng tư); danh sách dưới đây có thể chưa đủ.`,
        en: `Token ${name}: more certificates and keys may show only after the PIN is entered (private objects); the list below may be incomplete.`,
      },
      facts,
    });
  }
  if (hasSharedSerialId(t)) {
    notes.push({
      id: 'token.shared-serial',
      section: 'tokens',
      severity: 'info',
      message: {
        vi: `Thiết bị ${name}: nhiều thiết bị báo cùng một số sê-ri; Kyso phân biệt chúng bằng mã thêm ở cuối mã thiết bị (:${t.id.slice(-8)}, tính từ nhãn, hãng và kiểu).`,
        en: `Token ${name}: several tokens report the same serial number; Kyso tells them apart by a suffix to the token id (:${t.id.slice(-8)}, from label, manufacturer and model).`,
      },
      fix: {
        vi: 'Đặt nhãn khác nhau cho các thiết bị này để nhận ra chúng dễ dàng.',
        en: 'Give these tokens different labels to tell them apart easily.',
      },
      facts: { ...facts, discriminator: t.id.slice(-8) },
    });
  }
  return notes;
}

export function tokenFindings(tokens: TokenInfo[]): Finding[] {
  if (tokens.length === 0) {
    return [
      {
        id: 'tokens.none',
        section: 'tokens',
        severity: 'warning',
        message: { vi: 'Không có thiết bị ký số nào được cắm.', en: 'No token is plugged in.' },
        fix: catalog.TOKEN_NOT_PRESENT,
      },
    ];
  }
  return tokens.flatMap((t) => [
    tokenState(t),
    ...tokenNotes(t, `"${t.label}" (${t.manufacturer} ${t.model})`),
  ]);
}

function tokenState(t: TokenInfo): Finding {
  const name = `"${t.label}" (${t.manufacturer} ${t.model})`;
  const facts = {
    label: t.label,
    countLow: t.pin.countLow,
    finalTry: t.pin.finalTry,
    locked: t.pin.locked,
    pinPad: t.protectedAuthenticationPath,
    pinEntry: t.pinEntry ?? null,
  };
  if (t.pin.locked) {
    return {
      id: 'token.pin-locked',
      section: 'tokens',
      severity: 'error',
      message: {
        vi: `Thiết bị ${name}: mã PIN đã bị khóa.`,
        en: `Token ${name}: the PIN is locked.`,
      },
      fix: catalog.PIN_LOCKED,
      facts,
    } satisfies Finding;
  }
  if (t.pin.finalTry || t.pin.countLow) {
    const final = t.pin.finalTry;
    return {
      id: final ? 'token.pin-final-try' : 'token.pin-count-low',
      section: 'tokens',
      severity: 'warning',
      message: final
        ? {
            vi: `Thiết bị ${name}: chỉ còn MỘT lần nhập mã PIN trước khi bị khóa.`,
            en: `Token ${name}: ONE PIN attempt left before it locks.`,
          }
        : {
            vi: `Thiết bị ${name}: đã có lần nhập sai mã PIN.`,
            en: `Token ${name}: a wrong PIN was entered recently.`,
          },
      fix: {
        vi: 'Chỉ nhập mã PIN khi chắc chắn đúng; nếu quên mã PIN, liên hệ bộ phận CNTT trước khi thử tiếp.',
        en: 'Enter the PIN only when sure; if it is forgotten, contact IT before trying again.',
      },
      facts,
    } satisfies Finding;
  }
  if (t.pin.toBeChanged) {
    return {
      id: 'token.pin-to-be-changed',
      section: 'tokens',
      severity: 'warning',
      message: {
        vi: `Thiết bị ${name}: phải đổi mã PIN.`,
        en: `Token ${name}: the PIN must be changed.`,
      },
      fix: catalog.PIN_EXPIRED,
      facts,
    } satisfies Finding;
  }
  return {
    id: 'token.ok',
    section: 'tokens',
    severity: 'ok',
    message: {
      vi: `Thiết bị ${name}: sẵn sàng${t.protectedAuthenticationPath ? ', nhập mã PIN trên bàn phím của đầu đọc' : ''}.`,
      en: `Token ${name}: ready${t.protectedAuthenticationPath ? ', PIN entered on the reader keypad' : ''}.`,
    },
    facts,
  } satisfies Finding;
}

export interface TrustAnchors {
  anchors: X509Certificate[];
  intermediates: X509Certificate[];
}

/** Where the certificate's private key stands; 'after-login' is not a missing key. */
export function privateKeyState(c: CertificateInfo): 'present' | 'after-login' | 'absent' {
  return c.privateKey ?? (c.hasPrivateKey ? 'present' : 'absent');
}

function keyFinding(c: CertificateInfo, who: string, on: Text, label?: string): Finding {
  const state = privateKeyState(c);
  const usage = c.keyUsage.join(', ');
  const usageText: Text = {
    vi: `mục đích sử dụng khóa: ${usage || 'không giới hạn'}`,
    en: `key usage: ${usage || 'unrestricted'}`,
  };
  const facts = {
    subject: c.subject.text,
    ...(label === undefined ? {} : { token: label }),
    privateKey: state,
    keyUsage: c.keyUsage.join(','),
  };
  if (state === 'present') {
    return {
      id: 'certificate.key-present',
      section: 'certificates',
      severity: 'ok',
      message: {
        vi: `Chứng thư số ${who}${on.vi}: đã tìm thấy khóa riêng; ${usageText.vi}.`,
        en: `Certificate ${who}${on.en}: private key found; ${usageText.en}.`,
      },
      facts,
    };
  }
  if (state === 'after-login') {
    return {
      id: 'certificate.key-after-login',
      section: 'certificates',
      severity: 'info',
      message: {
        vi: `Chứng thư số ${who}${on.vi}: khóa riêng thấy sau khi nhập mã PIN (khóa là đối tượng riêng tư, không phải thiếu khóa); ${usageText.vi}.`,
        en: `Certificate ${who}${on.en}: key found after login (the key is a private object, not a missing key); ${usageText.en}.`,
      },
      facts,
    };
  }
  return {
    id: 'certificate.key-absent',
    section: 'certificates',
    severity: c.isCA ? 'info' : 'warning',
    message: c.isCA
      ? {
          vi: `Chứng thư số ${who}${on.vi}: chứng thư số của tổ chức cấp (CA), không có khóa riêng trên thiết bị — bình thường; ${usageText.vi}.`,
          en: `Certificate ${who}${on.en}: a CA certificate with no private key on the token — as expected; ${usageText.en}.`,
        }
      : {
          vi: `Chứng thư số ${who}${on.vi}: không tìm thấy khóa riêng trên thiết bị, không ký được bằng chứng thư số này; ${usageText.vi}.`,
          en: `Certificate ${who}${on.en}: no private key on the token, so it cannot sign; ${usageText.en}.`,
        },
    ...(c.isCA ? {} : { fix: catalog.KEY_NOT_FOUND }),
    facts,
  };
}

/**
 * Every certificate on every token: days to expiry (warning within 30 days, error when
 * expired), its private key (present, after login, absent) and key usage; for those with a
 * key, fitness for signing and the chain.
 */
export function certificateFindings(
  certificates: CertificateInfo[],
  now: Date,
  trust: TrustAnchors,
  tokens: TokenInfo[] = [],
): Finding[] {
  const findings: Finding[] = [];
  for (const c of certificates) {
    const who = `"${c.commonName}"`;
    const label = tokens.find((t) => t.id === c.tokenId)?.label;
    const on: Text =
      label === undefined
        ? { vi: '', en: '' }
        : { vi: ` (thiết bị "${label}")`, en: ` (token "${label}")` };
    const days = Math.floor((new Date(c.notAfter).getTime() - now.getTime()) / DAY_MS);
    const facts = {
      subject: c.subject.text,
      notAfter: c.notAfter,
      daysLeft: days,
      ...(label === undefined ? {} : { token: label }),
      privateKey: privateKeyState(c),
    };
    const until = formatTime(c.notAfter, 'date');
    if (new Date(c.notBefore) > now) {
      findings.push({
        id: 'certificate.not-yet-valid',
        section: 'certificates',
        severity: 'error',
        message: {
          vi: `Chứng thư số ${who} chưa có hiệu lực (từ ${formatTime(c.notBefore, 'date')}).`,
          en: `Certificate ${who} is not valid yet (from ${formatTime(c.notBefore, 'date')}).`,
        },
        fix: catalog.CERTIFICATE_NOT_YET_VALID,
        facts,
      });
    } else if (days < 0) {
      findings.push({
        id: 'certificate.expired',
        section: 'certificates',
        severity: 'error',
        message: {
          vi: `Chứng thư số ${who} đã hết hạn ngày ${until} (${-days} ngày trước).`,
          en: `Certificate ${who} expired on ${until} (${-days} days ago).`,
        },
        fix: catalog.CERTIFICATE_EXPIRED,
        facts,
      });
    } else if (days <= EXPIRY_WARNING_DAYS) {
      findings.push({
        id: 'certificate.expiring',
        section: 'certificates',
        severity: 'warning',
        message: {
          vi: `Chứng thư số ${who} sắp hết hạn: còn ${days} ngày (đến ${until}).`,
          en: `Certificate ${who} expires soon: ${days} days left (until ${until}).`,
        },
        fix: {
          vi: 'Liên hệ nơi cấp chứng thư số để gia hạn ngay.',
          en: 'Contact the certificate issuer to renew it now.',
        },
        facts,
      });
    } else {
      findings.push({
        id: 'certificate.valid',
        section: 'certificates',
        severity: 'ok',
        message: {
          vi: `Chứng thư số ${who} còn hiệu lực ${days} ngày (đến ${until}).`,
          en: `Certificate ${who} is valid for ${days} more days (until ${until}).`,
        },
        facts,
      });
    }
    findings.push(keyFinding(c, who, on, label));
    // A certificate without its key (a CA's, typically) signs nothing: no fitness or chain.
    if (privateKeyState(c) === 'absent') continue;
    const usable = keyUsageAllowsSigning(c.keyUsage) && !c.isCA;
    if (!usable) {
      findings.push({
        id: 'certificate.key-usage',
        section: 'certificates',
        severity: 'warning',
        message: {
          vi: `Chứng thư số ${who} không dùng được để ký (mục đích sử dụng khóa: ${c.keyUsage.join(', ') || 'không có'}).`,
          en: `Certificate ${who} is not fit for signing (key usage: ${c.keyUsage.join(', ') || 'none'}).`,
        },
        fix: catalog.KEY_USAGE_NOT_ALLOWED,
        facts: { subject: c.subject.text, keyUsage: c.keyUsage.join(',') },
      });
    }
    const chain = checkChain(c.certificate, trust.anchors, trust.intermediates);
    if (chain.trusted) {
      findings.push({
        id: 'certificate.chain-ok',
        section: 'certificates',
        severity: 'ok',
        message: {
          vi: `Đã xác minh chuỗi chứng thư số ${who} đến chứng thư số gốc tin cậy ${chain.anchor}.`,
          en: `Certificate ${who} chains to the trust anchor ${chain.anchor}.`,
        },
        facts: { subject: c.subject.text, anchor: chain.anchor },
      });
    } else if (chain.reason === 'no-anchors') {
      findings.push({
        id: 'certificate.chain-unchecked',
        section: 'certificates',
        severity: 'info',
        message: {
          vi: `Chưa kiểm tra chuỗi chứng thư số ${who}: chưa khai báo chứng thư số gốc tin cậy.`,
          en: `The chain of ${who} was not checked: no trust anchors were given.`,
        },
        fix: {
          vi: 'Khai báo "trust.anchors" trong tệp cấu hình, hoặc chạy lại với --trust TỆP.pem (chứng thư số gốc và trung gian của Ban Cơ yếu Chính phủ hoặc của nơi cấp).',
          en: 'Set "trust.anchors" in the config file, or run again with --trust FILE.pem (the Government Cipher Committee\'s or issuer\'s root and intermediate certificates).',
        },
      });
    } else {
      findings.push({
        id: 'certificate.chain-untrusted',
        section: 'certificates',
        severity: 'warning',
        message: {
          vi: `Không xác minh được chuỗi chứng thư số ${who} đến chứng thư số gốc tin cậy (thiếu chứng thư số của: ${chain.missingIssuer ?? '?'}).`,
          en: `The chain of certificate ${who} could not be verified up to a trust anchor (missing issuer: ${chain.missingIssuer ?? '?'}).`,
        },
        fix: catalog.CERTIFICATE_UNTRUSTED,
        facts: { subject: c.subject.text, missingIssuer: chain.missingIssuer ?? null },
      });
    }
  }
  return findings;
}

/** Hints about the clock: no network here, so we judge from the time zone and from certificates. */
export function clockFindings(
  now: Date,
  timezoneOffsetMinutes: number,
  certificates: CertificateInfo[],
): Finding[] {
  const findings: Finding[] = [];
  if (now.getUTCFullYear() < 2025) {
    findings.push({
      id: 'clock.wrong',
      section: 'clock',
      severity: 'error',
      message: {
        vi: `Đồng hồ máy tính đang ở năm ${now.getUTCFullYear()}: chữ ký sẽ mang thời gian sai.`,
        en: `The computer clock says ${now.getUTCFullYear()}: signatures would carry a wrong time.`,
      },
      fix: {
        vi: 'Chỉnh ngày giờ và bật đồng bộ thời gian tự động (Windows: Cài đặt > Thời gian).',
        en: 'Fix the date and time and turn on automatic time sync (Windows: Settings > Time).',
      },
    });
  }
  const future = certificates.filter((c) => {
    const ahead = new Date(c.notBefore).getTime() - now.getTime();
    return ahead > 0 && ahead < 2 * DAY_MS;
  });
  if (future.length > 0) {
    findings.push({
      id: 'clock.behind',
      section: 'clock',
      severity: 'warning',
      message: {
        vi: 'Có chứng thư số vừa cấp nhưng "chưa có hiệu lực": đồng hồ máy có thể đang chậm.',
        en: 'A freshly issued certificate is "not yet valid": the computer clock may be slow.',
      },
      fix: {
        vi: 'Bật đồng bộ thời gian tự động rồi thử lại.',
        en: 'Turn on automatic time sync and retry.',
      },
    });
  }
  // Vietnam time is UTC+7 all year; getTimezoneOffset() returns minutes *behind* UTC.
  if (timezoneOffsetMinutes !== -420) {
    const hours = -timezoneOffsetMinutes / 60;
    findings.push({
      id: 'clock.timezone',
      section: 'clock',
      severity: 'info',
      message: {
        vi: `Múi giờ của máy là UTC${hours >= 0 ? '+' : ''}${hours}, không phải giờ Việt Nam (UTC+7). Thời gian ký hiển thị theo giờ Việt Nam như Nghị định 30/2020 yêu cầu vẫn được tính đúng.`,
        en: `The computer's time zone is UTC${hours >= 0 ? '+' : ''}${hours}, not Vietnam time (UTC+7). Signing times shown in Vietnam time, as Decree 30/2020 requires, are still computed correctly.`,
      },
      fix: {
        vi: 'Nếu máy đặt tại Việt Nam, chọn múi giờ (UTC+07:00) Bangkok, Hà Nội, Jakarta.',
        en: 'If the computer is in Vietnam, choose the (UTC+07:00) Bangkok, Hanoi, Jakarta time zone.',
      },
    });
  } else {
    findings.push({
      id: 'clock.ok',
      section: 'clock',
      severity: 'ok',
      message: {
        vi: `Đồng hồ: ${formatTime(now)}, múi giờ Việt Nam (UTC+7).`,
        en: `Clock: ${formatTime(now)}, Vietnam time zone (UTC+7).`,
      },
    });
  }
  return findings;
}

export function browserFindings(
  origins: string[],
  os: 'windows' | 'linux' | 'macos',
  policyRoot = '',
): Finding[] {
  const example = origins.length > 0 ? origins : ['https://vanban.example.gov.vn'];
  const findings: Finding[] = [];
  const intro: Text = {
    vi: 'Chrome (từ bản 147), Edge và Cốc Cốc hỏi người dùng trước khi cho trang web kết nối tới Kyso Agent trên máy (127.0.0.1). Bộ phận CNTT có thể cho phép sẵn trang của hệ thống văn bản bằng chính sách LocalNetworkAccessAllowedForUrls.',
    en: 'Chrome (from 147), Edge and Cốc Cốc ask the user before a website may connect to Kyso Agent on this computer (127.0.0.1). IT can pre-allow the document system with the LocalNetworkAccessAllowedForUrls policy.',
  };
  if (origins.length === 0) {
    findings.push({
      id: 'browser.no-origins',
      section: 'browser',
      severity: 'info',
      message: {
        vi: `${intro.vi} Chưa có trang web nào trong "allowedOrigins"; ví dụ dưới dùng địa chỉ mẫu.`,
        en: `${intro.en} No website is listed in "allowedOrigins"; the example below uses a sample address.`,
      },
      fix: {
        vi: 'Thêm địa chỉ hệ thống văn bản vào "allowedOrigins" trong tệp cấu hình rồi chạy lại kyso doctor.',
        en: 'Add the document system address to "allowedOrigins" in the config file and run kyso doctor again.',
      },
    });
  }
  for (const target of BROWSERS) {
    const unverified = target.verified
      ? ''
      : ' (unverified path / đường dẫn chưa được nhà sản xuất xác nhận)';
    if (os === 'linux') {
      const dir = policyRoot + target.linuxPolicyDir;
      const allowed = originsAllowedByLinuxPolicy(dir, origins);
      const missing = origins.filter((o) => !allowed?.includes(o));
      const ok = origins.length > 0 && missing.length === 0;
      findings.push({
        id: ok ? 'browser.policy-set' : 'browser.policy-snippet',
        section: 'browser',
        severity: ok ? 'ok' : 'info',
        message: ok
          ? {
              vi: `${target.browser}: chính sách đã cho phép ${origins.join(', ')}.`,
              en: `${target.browser}: the policy already allows ${origins.join(', ')}.`,
            }
          : {
              vi: `${target.browser}: lưu đoạn sau thành ${target.linuxPolicyDir}/kyso.json${unverified}.`,
              en: `${target.browser}: save the following as ${target.linuxPolicyDir}/kyso.json${unverified}.`,
            },
        ...(ok ? {} : { snippet: linuxPolicySnippet(example) }),
      });
    } else if (os === 'windows') {
      findings.push({
        id: 'browser.policy-snippet',
        section: 'browser',
        severity: 'info',
        message: {
          vi: `${target.browser}: nhập tệp .reg sau (hoặc đặt bằng Group Policy)${unverified}.`,
          en: `${target.browser}: import this .reg file (or set it with Group Policy)${unverified}.`,
        },
        snippet: registrySnippet(target, example),
      });
    }
  }
  if (os === 'macos') {
    findings.push({
      id: 'browser.policy-snippet',
      section: 'browser',
      severity: 'info',
      message: {
        vi: 'macOS: đặt LocalNetworkAccessAllowedForUrls bằng cấu hình MDM (com.google.Chrome, com.microsoft.Edge) với các địa chỉ sau.',
        en: 'macOS: set LocalNetworkAccessAllowedForUrls with an MDM profile (com.google.Chrome, com.microsoft.Edge) to these addresses.',
      },
      snippet: example.join('\n'),
    });
  }
  if (findings.length > 0 && origins.length > 0) {
    findings.unshift({ id: 'browser.about', section: 'browser', severity: 'info', message: intro });
  }
  return findings;
}
