/** `kyso sign`: PAdES signature on a PDF with a token key, as an incremental update. */
import { constants } from 'node:fs';
import { access, readFile } from 'node:fs/promises';
import { loadCertificates, tokenSigner } from '../../cms/index.ts';
import { KysoError } from '../../errors/index.ts';
import {
  assertOutputFree,
  signPdf,
  type AppearanceOptions,
  type SignaturePreset,
} from '../../pdf/index.ts';
import { isHashAlgorithm, isSignatureScheme } from '../../tokens/index.ts';
import type { TokenService } from '../../tokens/index.ts';
import type { CertificateInfo } from '../../tokens/types.ts';
import { assertUsableForSigning, chainForCertificate } from '../../pki/index.ts';
import type { Command } from '../command.ts';
import type { ParsedArgs } from '../args.ts';
import {
  configuredTrust,
  printJson,
  readPin,
  tokenOptionSpec,
  withTokenService,
} from '../token-context.ts';

const PRESETS: readonly SignaturePreset[] = [
  'approval',
  'issuance',
  'attachment',
  'copy',
  'plain',
  'custom',
];

function parseRect(text: string): [number, number, number, number] {
  const parts = text.split(',').map((p) => Number(p.trim()));
  if (parts.length !== 4 || parts.some((n) => !Number.isFinite(n))) {
    throw new KysoError('INVALID_INPUT', { field: '--rect', problem: 'x1,y1,x2,y2 in points' });
  }
  return parts as [number, number, number, number];
}

/** Appearance options from the command line; page numbers are 1-based for people. */
export async function appearanceFromArgs(args: ParsedArgs): Promise<AppearanceOptions> {
  const out: AppearanceOptions = {};
  const docNumber = args.get('doc-number');
  const issuedDate = args.get('issued-date');
  const copyForm = args.get('copy-form');
  const organisation = args.get('organisation');
  const image = args.get('image');
  const page = args.get('page');
  const rect = args.get('rect');
  const anchor = args.get('anchor');
  if (docNumber !== undefined) out.docNumber = docNumber;
  if (issuedDate !== undefined) out.issuedDate = issuedDate;
  if (copyForm !== undefined) out.copyForm = copyForm;
  if (organisation !== undefined) out.organisation = organisation;
  if (args.all('text').length > 0) out.textLines = args.all('text');
  if (image !== undefined) {
    out.image = await readFile(image).catch(() => {
      throw new KysoError('INVALID_INPUT', { field: '--image', problem: 'file not readable' });
    });
  }
  let pageIndex: number | undefined;
  if (page !== undefined) {
    const n = Number(page);
    if (!Number.isInteger(n) || n < 1) {
      throw new KysoError('INVALID_INPUT', { field: '--page', problem: 'a page number from 1' });
    }
    pageIndex = n - 1;
  }
  if (rect !== undefined && anchor !== undefined) {
    throw new KysoError('INVALID_INPUT', { field: '--rect', problem: 'use --rect or --anchor' });
  }
  if (rect !== undefined) out.placement = { page: pageIndex ?? 0, rect: parseRect(rect) };
  else if (anchor !== undefined) {
    out.placement = pageIndex === undefined ? { anchor } : { anchor, page: pageIndex };
  }
  return out;
}

/**
 * CA certificates for the CMS: --chain files, then the path found through the CA certificates on
 * the signer's token and the config file's trust.intermediates (up to a trust anchor).
 */
export async function chainFor(
  args: ParsedArgs,
  service: TokenService,
  signerCert: CertificateInfo,
): Promise<Buffer[]> {
  const explicit: Buffer[] = [];
  for (const file of args.all('chain')) {
    const data = await readFile(file).catch(() => {
      throw new KysoError('INVALID_INPUT', { field: '--chain', problem: 'file not readable' });
    });
    explicit.push(...loadCertificates(data));
  }
  return chainForCertificate(service, signerCert, configuredTrust(args), explicit);
}

export const signCommand: Command = {
  name: 'sign',
  summary: 'Sign a PDF (PAdES, Decree 30 appearance) / Ký số tệp PDF',
  help: `kyso sign FILE --cert ID --preset approval|issuance|attachment|copy|plain|custom --out OUT
          [--doc-number TEXT] [--issued-date YYYY-MM-DD] [--copy-form TEXT] [--organisation TEXT]
          [--image PNG] [--page N --rect x1,y1,x2,y2 | --anchor TEXT [--page N]] [--text LINE]...
          [--reason TEXT] [--location TEXT] [--field NAME] [--certify 1|2|3]
          [--hash SHA-256|SHA-384|SHA-512]
          [--scheme RSASSA-PKCS1-v1_5|RSA-PSS|ECDSA] [--chain PEM]... [--pin-stdin]
          [--module PATH]... [--config FILE] [--json]

Adds a signature to FILE as an incremental update and writes OUT (never the input, never an
existing file: FILE_EXISTS). Pages count from 1; --rect is in points from the bottom-left
corner of the page as displayed. The PIN is asked on the terminal, or read from the first
line of standard input with --pin-stdin. The signature carries the CA certificates of the
signer's chain found on the token and in the config file's trust.intermediates; --chain adds
more. --field names the signature field: an empty signature field of that name
in the document (a template's signature box) is filled in place.`,
  options: {
    ...tokenOptionSpec,
    values: [
      'config',
      'cert',
      'preset',
      'out',
      'doc-number',
      'issued-date',
      'copy-form',
      'organisation',
      'image',
      'page',
      'rect',
      'anchor',
      'reason',
      'location',
      'field',
      'certify',
      'hash',
      'scheme',
    ],
    repeatable: ['module', 'chain', 'text'],
    flags: ['pin-stdin'],
  },
  async run(args) {
    const [file, ...extra] = args.positionals;
    if (!file || extra.length > 0) {
      throw new KysoError('INVALID_INPUT', { field: 'FILE', problem: 'exactly one PDF' });
    }
    const certificateId = args.get('cert');
    if (!certificateId) throw new KysoError('INVALID_INPUT', { field: '--cert' });
    const out = args.get('out');
    if (!out) throw new KysoError('INVALID_INPUT', { field: '--out' });
    const preset = (args.get('preset') ?? 'plain') as SignaturePreset;
    if (!PRESETS.includes(preset)) {
      throw new KysoError('INVALID_INPUT', { field: '--preset', value: preset });
    }
    const hash = args.get('hash') ?? 'SHA-256';
    if (!isHashAlgorithm(hash)) throw new KysoError('INVALID_INPUT', { field: '--hash' });
    const scheme = args.get('scheme');
    if (scheme !== undefined && !isSignatureScheme(scheme)) {
      throw new KysoError('INVALID_INPUT', { field: '--scheme' });
    }
    const certifyText = args.get('certify');
    const certify = certifyText === undefined ? undefined : Number(certifyText);
    if (certify !== undefined && certify !== 1 && certify !== 2 && certify !== 3) {
      throw new KysoError('INVALID_INPUT', { field: '--certify', problem: '1, 2 or 3' });
    }
    const appearance = await appearanceFromArgs(args);
    await assertOutputFree(file, out);
    const reason = args.get('reason');
    const fieldName = args.get('field');
    const location = args.get('location');
    await access(file, constants.R_OK).catch(() => {
      throw new KysoError('INVALID_INPUT', { field: 'FILE', problem: 'file not readable' });
    });

    return withTokenService(args, async (service) => {
      const certificate = await service.getCertificate(certificateId);
      assertUsableForSigning(certificate, new Date());
      const token = await service.getToken(certificate.tokenId);
      const chain = await chainFor(args, service, certificate);
      if (chain.length === 0 && !args.flags.has('json')) {
        process.stderr.write(
          'Chú ý: chữ ký không kèm chứng thư CA (thiết bị và trust.intermediates không có CA cấp);\n' +
            '  dùng --chain để người kiểm tra dựng được chuỗi.\n' +
            'Note: no CA certificates embedded (none on the token or in trust.intermediates);\n' +
            '  pass --chain so verifiers can build the chain.\n',
        );
      }
      const pin = await readPin(args, token, certificate);
      const signer = await tokenSigner({
        service,
        certificateId: certificate.id,
        credentials: pin === undefined ? {} : { pin },
        chain,
        ...(scheme ? { scheme } : {}),
      });
      const started = performance.now();
      const result = await signPdf(file, {
        signer,
        preset,
        hash,
        output: out,
        appearance,
        ...(reason !== undefined ? { reason } : {}),
        ...(fieldName !== undefined ? { fieldName } : {}),
        ...(location !== undefined ? { location } : {}),
        ...(certify !== undefined ? { certify } : {}),
      });
      const ms = Math.round(performance.now() - started);
      if (args.flags.has('json')) {
        printJson({
          ok: true,
          output: result.output,
          fieldName: result.fieldName,
          preset,
          signer: certificate.commonName,
          certificateId: certificate.id,
          size: result.size,
          byteRange: result.byteRange,
          cmsSize: result.cmsSize,
          ms,
        });
      } else {
        process.stdout.write(
          `Đã ký / Signed: ${result.output ?? out} (${result.fieldName}, ${certificate.commonName}, ${ms} ms)\n`,
        );
      }
      return 0;
    });
  },
};
