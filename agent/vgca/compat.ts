/**
 * The VGCA Sign Service's browser API (vgca_sign_approved, vgca_sign_files, vgca_sign_msg, ...)
 * implemented over Kyso's SDK. Same arguments, same callback conventions (the callback gets a
 * JSON string), same result members; failures carry Kyso's stable code in ErrorCode. Calls that
 * take a document download it in the page, have the agent sign it with the matching Decree 30
 * preset, and upload it to FileUploadHandler from the page.
 */
import {
  KysoClient,
  KysoClientError,
  type CertificateInfo,
  type HashAlgorithm,
  type PdfAppearanceParams,
  type VerifyPdfResult,
} from '../client/index.ts';
import {
  batchRequest,
  displayName,
  documentRequest,
  issuedDate,
  rawParams,
  type DocumentRequest,
} from './params.ts';
import { documentTooLarge, failure, tooLargeFailure, VGCA_STATUS, VgcaError } from './status.ts';
import {
  DEFAULT_UPLOAD_FIELD,
  download,
  fromBase64,
  handlerResult,
  ownBytes,
  pickLocalPdf,
  toBase64,
  upload,
  type Bytes,
  type Downloaded,
} from './transfer.ts';

export const VGCA_COMPAT_VERSION = '1.0.0';

/** The plugin's document endpoints. */
export type DocumentKind =
  'approved' | 'issued' | 'copy' | 'appendix' | 'comment' | 'income' | 'pdf' | 'file' | 'files';

/** What a certificate is chosen for. */
export type CertificatePurpose = DocumentKind | 'msg' | 'auth' | 'certinfo';

export interface VgcaCompatOptions {
  /** Kyso Agent; default ws://127.0.0.1:51987. */
  agentUrl?: string;
  /** Longest wait for a document call, PIN entry included (ms). Default 10 minutes. */
  timeoutMs?: number;
  /** Longest wait for calls without a document (msg, auth, certinfo, version, verify). Default 5 minutes. */
  shortTimeoutMs?: number;
  /** Multipart field of the signed file in the upload (the plugin's own name is unconfirmed). */
  uploadFieldName?: string;
  /** PNG (base64, data: URL or URL) of the signer's handwritten signature, for approval. */
  signatureImage?: string;
  /** PNG (base64, data: URL or URL) of the organisation's seal, for issuance. */
  sealImage?: string;
  /** A certificate id (SHA-256 thumbprint) for every call, or one per purpose. */
  certificateId?: string | Partial<Record<CertificatePurpose, string>>;
  /** Chooses among the usable certificates; return an id, or undefined for the default rule. */
  chooseCertificate?: (
    certificates: CertificateInfo[],
    purpose: CertificatePurpose,
  ) => string | undefined | Promise<string | undefined>;
  /** Appearance overrides per kind (preset, placement, textLines, image, ...). */
  appearance?: Partial<Record<DocumentKind, PdfAppearanceParams>>;
  /** Roots for vgca_verify_pdf (base64 DER or PEM); default: the agent's configured trust. */
  trustAnchors?: string[];
  /** Shown in the agent's logs. */
  clientName?: string;
}

export type Callback = (result: string) => void;
export type SenderCallback = (sender: unknown, result: string) => void;

/** Kyso's preset for each of the plugin's document calls (docs/migration-vgca.md). */
export const PRESET_OF_KIND: Record<DocumentKind, PdfAppearanceParams> = {
  approved: { preset: 'approval', reason: 'Ký phê duyệt' },
  issued: { preset: 'issuance', reason: 'Ký phát hành' },
  copy: { preset: 'copy', reason: 'Ký bản sao điện tử' },
  appendix: { preset: 'attachment', reason: 'Ký tài liệu kèm theo' },
  comment: { preset: 'plain', reason: 'Ý kiến' },
  income: { preset: 'plain', reason: 'Ký văn bản đến' },
  pdf: { preset: 'plain' },
  file: { preset: 'plain' },
  files: { preset: 'plain' },
};

const DOCUMENT_TIMEOUT_MS = 600_000;
const SHORT_TIMEOUT_MS = 300_000;

/** Organisation certificates carry the tax code (UID=MST:…); people carry CCCD/CMND. */
function isOrganisation(cert: CertificateInfo): boolean {
  return cert.subject.attributes.some((a) => a.type === 'UID' && /^\s*MST\s*:/i.test(a.value));
}

const ORGANISATION_PURPOSES: readonly CertificatePurpose[] = [
  'issued',
  'copy',
  'appendix',
  'income',
];
const PERSONAL_PURPOSES: readonly CertificatePurpose[] = ['approved', 'comment', 'auth'];

function canSign(cert: CertificateInfo): boolean {
  return (
    cert.hasPrivateKey &&
    !cert.isCA &&
    (cert.keyUsage.includes('nonRepudiation') || cert.keyUsage.includes('digitalSignature'))
  );
}

function hashAlgorithmOf(name: string): HashAlgorithm {
  const n = name.toUpperCase().replace(/[-_\s]/g, '');
  if (n === '' || n === 'SHA256') return 'SHA-256';
  if (n === 'SHA384') return 'SHA-384';
  if (n === 'SHA512') return 'SHA-512';
  throw new VgcaError('VGCA_BAD_PARAMS', `HashAlg ${name} is not supported (SHA256/384/512)`);
}

/** Set when the callback already got TIMEOUT: later steps (the upload) must not run. */
export interface Deadline {
  expired: boolean;
}

function checkDeadline(deadline: Deadline): void {
  if (deadline.expired) throw new VgcaError('TIMEOUT', 'too late to upload');
}

function withTimeout<T>(promise: Promise<T>, ms: number, deadline: Deadline): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      deadline.expired = true;
      reject(new VgcaError('TIMEOUT', `${ms} ms`));
    }, ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}

/** Any error → the plugin's failure object. */
export function failureOf(error: unknown): Record<string, unknown> {
  if ((error instanceof VgcaError || error instanceof KysoClientError) && isTooLarge(error)) {
    return tooLargeFailure(error.details);
  }
  if (error instanceof VgcaError) {
    return failure(error.code, { detail: error.detail, details: error.details });
  }
  if (error instanceof KysoClientError) {
    return failure(error.code, { messages: error.messages, details: error.details });
  }
  return failure('INTERNAL_ERROR', {
    detail: error instanceof Error ? error.message : String(error),
  });
}

function isTooLarge(error: { code: string }): boolean {
  return error.code === 'DOCUMENT_TOO_LARGE';
}

/** Delivers exactly once, asynchronously, a string; a throwing callback does not break us. */
function deliver(callback: ((result: string) => void) | undefined, result: string): void {
  if (typeof callback !== 'function') return;
  setTimeout(() => {
    try {
      callback(result);
    } catch (error) {
      console.error('VGCA callback failed', error);
    }
  }, 0);
}

export class VgcaCompat {
  private client: KysoClient | null = null;
  private clientKey = '';

  constructor(private readonly options: () => VgcaCompatOptions) {}

  private kyso(): KysoClient {
    const o = this.options();
    const url = o.agentUrl ?? 'ws://127.0.0.1:51987';
    const timeoutMs = Math.max(
      o.timeoutMs ?? DOCUMENT_TIMEOUT_MS,
      o.shortTimeoutMs ?? SHORT_TIMEOUT_MS,
    );
    // A new client when the page changes the agent URL or the timeouts (kysoVgca.configure).
    const key = `${url} ${timeoutMs}`;
    if (!this.client || this.clientKey !== key) {
      this.client?.close();
      this.client = new KysoClient({
        url,
        timeoutMs,
        reconnect: false,
        clientName: o.clientName ?? `Kyso VGCA compatibility ${VGCA_COMPAT_VERSION}`,
      });
      this.clientKey = key;
    }
    return this.client;
  }

  /** Runs an operation and hands its result (or failure) to the callback as a JSON string. */
  run(
    operation: (deadline: Deadline) => Promise<Record<string, unknown>>,
    short: boolean,
    callback: ((result: string) => void) | undefined,
  ): Promise<string> {
    const o = this.options();
    const ms = short
      ? (o.shortTimeoutMs ?? SHORT_TIMEOUT_MS)
      : (o.timeoutMs ?? DOCUMENT_TIMEOUT_MS);
    const deadline: Deadline = { expired: false };
    let started: Promise<Record<string, unknown>>;
    try {
      started = operation(deadline);
    } catch (error) {
      started = Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    return withTimeout(started, ms, deadline)
      .catch((error: unknown) => failureOf(error))
      .then((result) => {
        const text = JSON.stringify(result);
        deliver(callback, text);
        return text;
      });
  }

  /** The certificate the plugin would use: configured, chosen by the page, or the default rule. */
  async certificate(purpose: CertificatePurpose): Promise<CertificateInfo> {
    const o = this.options();
    const all = await this.kyso().listCertificates({ validNow: true });
    const usable = all.filter(canSign);
    const configured =
      typeof o.certificateId === 'string' ? o.certificateId : o.certificateId?.[purpose];
    const chosenId =
      configured ?? (o.chooseCertificate ? await o.chooseCertificate(usable, purpose) : undefined);
    if (chosenId) {
      const id = chosenId.toLowerCase();
      const found = usable.find((c) => c.id === id);
      if (!found) throw new VgcaError('CERTIFICATE_NOT_FOUND', undefined, { certificateId: id });
      return found;
    }
    const preferred = ORGANISATION_PURPOSES.includes(purpose)
      ? usable.filter(isOrganisation)
      : PERSONAL_PURPOSES.includes(purpose)
        ? usable.filter((c) => !isOrganisation(c))
        : [];
    const first = preferred[0] ?? usable[0];
    if (!first) throw new VgcaError('VGCA_NO_CERTIFICATE');
    return first;
  }

  /**
   * DOCUMENT_TOO_LARGE for a file over the agent's limits.maxDocumentBytes, checked before a
   * certificate is chosen (chooseCertificate may ask the person) or anything is sent.
   */
  private async checkSize(bytes: Bytes): Promise<void> {
    const max = (await this.kyso().connect()).limits?.maxDocumentBytes;
    if (max !== undefined && bytes.length > max) throw documentTooLarge(bytes.length, max);
  }

  private async image(kind: DocumentKind): Promise<string | undefined> {
    const o = this.options();
    const source =
      kind === 'approved' ? o.signatureImage : kind === 'issued' ? o.sealImage : undefined;
    if (!source) return undefined;
    const dataUrl = /^data:image\/png;base64,(.*)$/s.exec(source);
    if (dataUrl?.[1]) return dataUrl[1];
    if (/^(https?:)?\/|^\.\.?\//.test(source)) {
      const { bytes } = await download(source, { jwt: '', sessionId: '' });
      return toBase64(bytes);
    }
    return source;
  }

  private async appearance(
    kind: DocumentKind,
    request?: DocumentRequest,
  ): Promise<PdfAppearanceParams> {
    const params: PdfAppearanceParams = {
      ...PRESET_OF_KIND[kind],
      ...this.options().appearance?.[kind],
    };
    if (params.image === undefined) {
      const image = await this.image(kind);
      if (image) params.image = image;
    }
    if (request && kind === 'issued') {
      if (request.DocNumber) params.docNumber = request.DocNumber;
      params.issuedDate = issuedDate(request.IssuedDate);
    }
    if (request && (kind === 'appendix' || kind === 'copy') && request.DocNumber) {
      params.docNumber = request.DocNumber;
    }
    if (
      request &&
      kind === 'comment' &&
      request.Comment &&
      params.preset === 'custom' &&
      !params.textLines
    ) {
      params.textLines = [request.Comment];
    }
    return params;
  }

  /** FileName "" opens the file picker; it must start in the caller's click, so not async. */
  private source(request: DocumentRequest): Promise<Downloaded> {
    if (!request.FileName) return pickLocalPdf(this.agentLimit());
    const url = request.FileName;
    return this.agentLimit().then((max) =>
      download(url, { jwt: request.JWTToken, sessionId: request.SessionId }, max),
    );
  }

  /**
   * The agent's limits.maxDocumentBytes, so a download stops at it (a bigger file is refused
   * anyway); undefined when the agent does not answer: the download goes on, and the failure
   * to reach the agent is reported where it always was.
   */
  private async agentLimit(): Promise<number | undefined> {
    try {
      return (await this.kyso().connect()).limits?.maxDocumentBytes;
    } catch {
      return undefined;
    }
  }

  private async finish(
    request: DocumentRequest,
    signed: { bytes: Bytes; name: string },
    deadline: Deadline,
  ): Promise<Record<string, unknown>> {
    checkDeadline(deadline);
    if (!request.FileUploadHandler) {
      // Nowhere to upload: hand the signed file to the page (a Kyso extra).
      return {
        Status: VGCA_STATUS.OK,
        Message: '',
        FileName: signed.name,
        FileServer: '',
        FileBase64: toBase64(signed.bytes),
      };
    }
    const reply = await upload(request.FileUploadHandler, signed, {
      jwt: request.JWTToken,
      sessionId: request.SessionId,
      fieldName: this.options().uploadFieldName ?? DEFAULT_UPLOAD_FIELD,
      metaData: request.MetaData,
    });
    return handlerResult(reply, signed.name);
  }

  /** vgca_sign_approved, _issued, _copy, _appendix, vgca_comment, vgca_sign_income, _pdf, _file. */
  signDocument(
    kind: DocumentKind,
    input: unknown,
    callback: Callback | undefined,
  ): Promise<string> {
    let request: DocumentRequest;
    let source: Promise<Downloaded>;
    try {
      request = documentRequest(input);
      source = this.source(request);
    } catch (error) {
      return this.run(
        () => Promise.reject(error instanceof Error ? error : new Error(String(error))),
        true,
        callback,
      );
    }
    return this.run(
      async (deadline) => {
        const file = await source;
        await this.checkSize(file.bytes);
        const appearance = await this.appearance(kind, request);
        const cert = await this.certificate(kind);
        const name = displayName(file.name);
        // As bytes: chunked binary upload, the signed copy back as bytes (any size the agent takes).
        const result = await this.kyso().signPdf({
          ...appearance,
          certificateId: cert.id,
          pdf: file.bytes,
          documentName: name,
        });
        const reply = await this.finish(request, { bytes: ownBytes(result.pdf), name }, deadline);
        if (kind === 'issued' && Number(reply.Status) === 0) {
          reply.DocumentNumber ??= request.DocNumber;
          reply.DocumentDate ??= appearance.issuedDate;
        }
        return reply;
      },
      false,
      callback,
    );
  }

  /** vgca_sign_files: one consent and one PIN for the batch (sign.pdfs), a status per file. */
  signFiles(input: unknown, callback: Callback | undefined): Promise<string> {
    return this.run(
      async (deadline) => {
        const request = batchRequest(input);
        const transfer = { jwt: request.JWTToken, sessionId: request.SessionId };
        const entries: { row: Record<string, unknown>; file?: { bytes: Bytes; name: string } }[] =
          request.Files.map((f) => ({
            row: { FileID: f.FileID, FileName: f.FileName, URL: f.URL },
          }));
        const max = await this.agentLimit();
        for (const [i, entry] of entries.entries()) {
          const f = request.Files[i];
          if (!f) continue;
          try {
            const file = await download(f.URL, transfer, max);
            entry.file = {
              bytes: file.bytes,
              name: displayName(f.FileName === f.URL ? file.name : f.FileName),
            };
          } catch (error) {
            Object.assign(entry.row, failureOf(error));
          }
        }
        // A file over the agent's limit fails alone; the SDK would refuse the whole batch.
        for (const entry of entries) {
          if (!entry.file) continue;
          try {
            await this.checkSize(entry.file.bytes);
          } catch (error) {
            Object.assign(entry.row, failureOf(error));
            delete entry.file;
          }
        }
        const ready = entries.flatMap((e) => (e.file ? [{ row: e.row, file: e.file }] : []));
        if (ready.length > 0) {
          const appearance = await this.appearance('files');
          const cert = await this.certificate('files');
          const result = await this.kyso().signPdfs({
            ...appearance,
            certificateId: cert.id,
            items: ready.map(({ file }) => ({ name: file.name, pdf: file.bytes })),
          });
          for (const [k, { row, file }] of ready.entries()) {
            const item = result.items[k];
            if (!item) {
              Object.assign(row, failure('INTERNAL_ERROR', { detail: 'no result for this file' }));
              continue;
            }
            if (!item.ok) {
              Object.assign(row, failure(item.error.code, { messages: item.error.message }));
              continue;
            }
            checkDeadline(deadline);
            const doc = { bytes: ownBytes(item.pdf), name: file.name };
            try {
              const reply = request.FileUploadHandler
                ? handlerResult(
                    await upload(request.FileUploadHandler, doc, {
                      ...transfer,
                      fieldName: this.options().uploadFieldName ?? DEFAULT_UPLOAD_FIELD,
                      metaData: [...request.MetaData, { Key: 'FileID', Value: String(row.FileID) }],
                    }),
                    file.name,
                  )
                : { Status: 0, Message: '', FileServer: '', FileBase64: toBase64(doc.bytes) };
              Object.assign(row, {
                ...reply,
                FileID: row.FileID,
                FileName: row.FileName,
                URL: row.URL,
              });
            } catch (error) {
              Object.assign(row, failureOf(error));
            }
          }
        }
        const rows = entries.map((e) => e.row);
        const failed = rows.filter((r) => Number(r.Status) !== 0);
        if (failed.length === 0) return { Status: VGCA_STATUS.OK, Message: '', Files: rows };
        const codes = new Set(failed.map((r) => r.ErrorCode));
        const [onlyCode] = codes;
        const top =
          failed.length === rows.length && codes.size === 1 && typeof onlyCode === 'string'
            ? failure(onlyCode)
            : failure('VGCA_PARTIAL', { details: { failed: failed.length, total: rows.length } });
        return { ...top, Files: rows };
      },
      false,
      callback,
    );
  }

  /** vgca_sign_msg(sender, {HashAlg, HashValue, Encode}, cb(sender, result)). */
  signMessage(
    sender: unknown,
    input: unknown,
    callback: SenderCallback | undefined,
  ): Promise<string> {
    return this.run(
      async () => {
        let hash: string;
        let hashAlgorithm: HashAlgorithm = 'SHA-256';
        const parsed = typeof input === 'string' ? tryJsonObject(input) : input;
        if (typeof parsed === 'object' && parsed !== null) {
          const raw = rawParams(parsed);
          hashAlgorithm = hashAlgorithmOf(String(raw.HashAlg ?? ''));
          if (typeof raw.HashValue !== 'string' || !raw.HashValue) {
            throw new VgcaError('VGCA_BAD_PARAMS', 'HashValue (base64) is required');
          }
          hash = raw.HashValue.trim();
        } else if (typeof input === 'string' && input) {
          // Some integrators pass the content itself, base64: hash it here (SHA-256).
          hash = await sha256Base64(base64OrText(input));
        } else {
          throw new VgcaError('VGCA_BAD_PARAMS', 'expected {HashAlg, HashValue}');
        }
        const cert = await this.certificate('msg');
        const result = await this.kyso().signHash({
          certificateId: cert.id,
          hashAlgorithm,
          hash,
          documentName: 'Thông điệp dữ liệu (vgca_sign_msg)',
        });
        return {
          Status: VGCA_STATUS.OK,
          Message: '',
          Signature: result.signature,
          CertBase64: result.certificate,
          HashAlg: hashAlgorithm.replace('-', ''),
        };
      },
      true,
      senderCallback(sender, callback),
    );
  }

  /** vgca_auth(sender, AuthCode, cb(sender, result)): signs SHA-256 of the challenge's UTF-8. */
  auth(sender: unknown, input: unknown, callback: SenderCallback | undefined): Promise<string> {
    return this.run(
      async () => {
        let code = typeof input === 'string' ? input : '';
        const parsed = typeof input === 'string' ? tryJsonObject(input) : input;
        if (typeof parsed === 'object' && parsed !== null) {
          const value = (parsed as Record<string, unknown>).AuthCode;
          if (typeof value === 'string') code = value;
        }
        if (!code) throw new VgcaError('VGCA_BAD_PARAMS', 'AuthCode is empty');
        const cert = await this.certificate('auth');
        const result = await this.kyso().signHash({
          certificateId: cert.id,
          hashAlgorithm: 'SHA-256',
          hash: await sha256Base64(new TextEncoder().encode(code)),
          documentName: 'Mã xác thực đăng nhập (vgca_auth)',
        });
        return {
          Status: VGCA_STATUS.OK,
          Message: '',
          Signature: result.signature,
          CertBase64: result.certificate,
        };
      },
      true,
      senderCallback(sender, callback),
    );
  }

  /** vgca_get_certinfo(cb): the certificate the plugin would sign with (no consent). */
  certInfo(callback: Callback | undefined): Promise<string> {
    return this.run(
      async () => {
        const cert = await this.certificate('certinfo');
        return {
          Status: VGCA_STATUS.OK,
          Message: '',
          CertInfo: {
            SerialNumber: cert.serialNumber,
            Subject: cert.subject.text,
            Issuer: cert.issuer.text,
            CommonName: cert.commonName,
            NotBefore: cert.notBefore,
            NotAfter: cert.notAfter,
            Thumbprint: cert.id,
            TokenId: cert.tokenId,
            CertBase64: cert.certificate,
          },
          CertBase64: cert.certificate,
        };
      },
      true,
      callback,
    );
  }

  /** vgca_verify_pdf({FileName: URL}, cb): downloads and verifies in the agent. */
  verifyPdf(input: unknown, callback: Callback | undefined): Promise<string> {
    let request: DocumentRequest;
    let source: Promise<Downloaded>;
    try {
      request = documentRequest(input);
      source = this.source(request);
    } catch (error) {
      return this.run(
        () => Promise.reject(error instanceof Error ? error : new Error(String(error))),
        true,
        callback,
      );
    }
    return this.run(
      async () => {
        const file = await source;
        await this.checkSize(file.bytes);
        const anchors = this.options().trustAnchors;
        const report = await this.kyso().verifyPdf({
          pdf: file.bytes,
          ...(anchors ? { trustAnchors: anchors.map(derBase64) } : {}),
        });
        return verifyResult(report, displayName(file.name), request);
      },
      true,
      callback,
    );
  }

  /** vgca_get_version(cb): Kyso Agent's version (the plugin's GetVersion). */
  version(callback: Callback | undefined): Promise<string> {
    return this.run(
      async () => {
        const info = await this.kyso().connect();
        return {
          Status: VGCA_STATUS.OK,
          Message: '',
          Version: info.version,
          Agent: info.agent,
          ProtocolVersion: info.protocolVersion,
          CompatVersion: VGCA_COMPAT_VERSION,
        };
      },
      true,
      callback,
    );
  }

  /** Plugin functions Kyso does not offer: an immediate, explicit failure. */
  unsupported(name: string, callback: Callback | undefined): Promise<string> {
    return this.run(() => Promise.reject(new VgcaError('VGCA_UNSUPPORTED', name)), true, callback);
  }
}

function verifyResult(
  report: VerifyPdfResult,
  fileName: string,
  _request: DocumentRequest,
): Record<string, unknown> {
  const signatures = report.signatures.map((s) => ({
    FieldName: s.fieldName,
    SignerName: s.signer ?? '',
    Subject: s.signerSubject ?? '',
    SigningTime: s.signingTime ?? '',
    Valid: s.valid,
    Integrity:
      s.integrity.byteRangeValid && s.integrity.digestMatches && s.integrity.signatureValid,
    Trusted: s.chain?.trusted ?? false,
    CertificateValid: s.certificateValidAtSigningTime,
    Changes: s.changes,
    Preset: s.preset ?? '',
  }));
  const base = { FileName: fileName, Valid: report.valid, Signatures: signatures };
  if (report.signatures.length === 0) return { ...failure('VGCA_NO_SIGNATURE'), ...base };
  if (!report.valid) return { ...failure('VGCA_INVALID_SIGNATURE'), ...base };
  return { Status: VGCA_STATUS.OK, Message: '', ...base };
}

function senderCallback(
  sender: unknown,
  callback: SenderCallback | undefined,
): Callback | undefined {
  return typeof callback === 'function' ? (result) => callback(sender, result) : undefined;
}

/** PEM or base64 DER → base64 DER (what verify.pdf takes). */
function derBase64(certificate: string): string {
  return certificate.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '');
}

function tryJsonObject(text: string): unknown {
  const t = text.trim();
  if (!t.startsWith('{')) return undefined;
  try {
    return JSON.parse(t);
  } catch {
    throw new VgcaError('VGCA_BAD_PARAMS', 'not JSON');
  }
}

function base64OrText(input: string): Bytes {
  const t = input.trim();
  if (/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(t)) {
    return fromBase64(t);
  }
  return new TextEncoder().encode(input);
}

async function sha256Base64(data: Bytes): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', data);
  return toBase64(new Uint8Array(digest));
}
