/**
 * Kyso's drop-in for the VGCA Sign Service's page script: one <script src="…/vgca.js"> in place
 * of the plugin's defines the same global functions, talking to Kyso Agent on
 * ws://127.0.0.1:51987 (no localhost TLS certificate). Options: `window.KysoVgcaOptions`
 * (read at every call) or `kysoVgca.configure({...})`. See docs/migration-vgca.md.
 */
import {
  VgcaCompat,
  VGCA_COMPAT_VERSION,
  type Callback,
  type DocumentKind,
  type SenderCallback,
  type VgcaCompatOptions,
} from './compat.ts';
import { VGCA_STATUS } from './status.ts';

export { VgcaCompat, VGCA_COMPAT_VERSION, PRESET_OF_KIND } from './compat.ts';
export type { VgcaCompatOptions, DocumentKind, CertificatePurpose } from './compat.ts';
export { VGCA_STATUS, VGCA_MESSAGES } from './status.ts';

type Fn = (...args: never[]) => Promise<string>;

export interface VgcaGlobals {
  vgca_sign_approved(params: unknown, callback?: Callback): Promise<string>;
  vgca_sign_issued(params: unknown, callback?: Callback): Promise<string>;
  vgca_sign_copy(params: unknown, callback?: Callback): Promise<string>;
  vgca_sign_appendix(params: unknown, callback?: Callback): Promise<string>;
  vgca_comment(params: unknown, callback?: Callback): Promise<string>;
  vgca_sign_income(params: unknown, callback?: Callback): Promise<string>;
  vgca_sign_pdf(params: unknown, callback?: Callback): Promise<string>;
  vgca_sign_file(params: unknown, callback?: Callback): Promise<string>;
  vgca_sign_files(params: unknown, callback?: Callback): Promise<string>;
  vgca_sign_msg(sender: unknown, params: unknown, callback?: SenderCallback): Promise<string>;
  vgca_auth(sender: unknown, authCode: unknown, callback?: SenderCallback): Promise<string>;
  vgca_get_certinfo(callback?: Callback): Promise<string>;
  vgca_verify_pdf(params: unknown, callback?: Callback): Promise<string>;
  vgca_get_version(callback?: Callback): Promise<string>;
  vgca_verify_msg(params: unknown, callback?: Callback): Promise<string>;
  vgca_verify_xml(params: unknown, callback?: Callback): Promise<string>;
  vgca_verify_office(params: unknown, callback?: Callback): Promise<string>;
  vgca_sign_xml(sender: unknown, params: unknown, callback?: SenderCallback): Promise<string>;
  vgca_sign_office(params: unknown, callback?: Callback): Promise<string>;
  vgca_license_request(callback?: Callback): Promise<string>;
  vgca_show_config(): void;
}

export interface KysoVgca {
  version: string;
  status: typeof VGCA_STATUS;
  configure(options: VgcaCompatOptions): void;
  options(): VgcaCompatOptions;
}

/** Builds the globals over one VgcaCompat; `options` is read at every call. */
export function createVgcaGlobals(options: () => VgcaCompatOptions): VgcaGlobals {
  const compat = new VgcaCompat(options);
  const doc =
    (kind: DocumentKind) =>
    (params: unknown, callback?: Callback): Promise<string> =>
      compat.signDocument(kind, params, callback);
  const unsupported =
    (name: string) =>
    (_params: unknown, callback?: Callback): Promise<string> =>
      compat.unsupported(name, callback);
  return {
    vgca_sign_approved: doc('approved'),
    vgca_sign_issued: doc('issued'),
    vgca_sign_copy: doc('copy'),
    vgca_sign_appendix: doc('appendix'),
    vgca_comment: doc('comment'),
    vgca_sign_income: doc('income'),
    vgca_sign_pdf: doc('pdf'),
    vgca_sign_file: doc('file'),
    vgca_sign_files: (params, callback) => compat.signFiles(params, callback),
    vgca_sign_msg: (sender, params, callback) => compat.signMessage(sender, params, callback),
    vgca_auth: (sender, authCode, callback) => compat.auth(sender, authCode, callback),
    vgca_get_certinfo: (callback) => compat.certInfo(callback),
    vgca_verify_pdf: (params, callback) => compat.verifyPdf(params, callback),
    vgca_get_version: (callback) => compat.version(callback),
    vgca_verify_msg: unsupported('vgca_verify_msg'),
    vgca_verify_xml: unsupported('vgca_verify_xml'),
    vgca_verify_office: unsupported('vgca_verify_office'),
    vgca_sign_xml: (sender, _params, callback) =>
      compat.unsupported('vgca_sign_xml', (r) => callback?.(sender, r)),
    vgca_sign_office: unsupported('vgca_sign_office'),
    vgca_license_request: (callback) => compat.unsupported('vgca_license_request', callback),
    // The plugin opens its own settings window; Kyso's settings live in the tray app.
    vgca_show_config: () => console.info('Kyso: settings are in the Kyso app (tray icon).'),
  };
}

/** Defines the globals on `target` (window in the bundle). */
export function installVgcaGlobals(target: Record<string, unknown>): KysoVgca {
  let configured: VgcaCompatOptions = {};
  // An agent serving this script at GET /vgca.js prepends `self.KysoVgcaAgentDefault =
  // "ws://127.0.0.1:<its port>";` so a page loading it from there reaches that agent.
  const options = (): VgcaCompatOptions => {
    const fallback = target.KysoVgcaAgentDefault;
    return {
      ...(typeof fallback === 'string' ? { agentUrl: fallback } : {}),
      ...(target.KysoVgcaOptions as VgcaCompatOptions | undefined),
      ...configured,
    };
  };
  const globals = createVgcaGlobals(options);
  for (const [name, fn] of Object.entries(globals) as [string, Fn][]) target[name] = fn;
  const api: KysoVgca = {
    version: VGCA_COMPAT_VERSION,
    status: VGCA_STATUS,
    configure(next) {
      configured = { ...configured, ...next };
    },
    options,
  };
  target.kysoVgca = api;
  return api;
}
