/**
 * The signature dictionary (/Type /Sig) and its two placeholders: /ByteRange, written once the
 * increment's length is known, and /Contents, sized to the CMS and filled after the token signs.
 */
import { KysoError } from '../errors/index.ts';
import { PdfDict, PdfRaw, PdfString, dict, name, textString } from './objects.ts';
import type { SignPdfOptions, SignaturePreset } from './sign-options.ts';

export const BYTE_RANGE_PLACEHOLDER = '[0 0000000000 0000000000 0000000000]';
/** Room for ECDSA length variation and chain differences between estimate and result. */
export const CONTENTS_SLACK = 64;

function pdfDate(d: Date): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  return `D:${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}Z`;
}

export function signatureDictionary(
  options: Pick<SignPdfOptions, 'signerName' | 'reason' | 'location' | 'contactInfo' | 'certify'>,
  preset: SignaturePreset,
  signingTime: Date,
  placeholderBytes: number,
): PdfDict {
  return dict({
    Type: name('Sig'),
    Filter: name('Adobe.PPKLite'),
    SubFilter: name('ETSI.CAdES.detached'),
    ByteRange: new PdfRaw(BYTE_RANGE_PLACEHOLDER),
    Contents: new PdfRaw('<' + '0'.repeat(placeholderBytes * 2) + '>'),
    M: new PdfString(Buffer.from(pdfDate(signingTime), 'latin1')),
    Name: options.signerName !== undefined ? textString(options.signerName) : undefined,
    Reason: options.reason !== undefined ? textString(options.reason) : undefined,
    Location: options.location !== undefined ? textString(options.location) : undefined,
    ContactInfo: options.contactInfo !== undefined ? textString(options.contactInfo) : undefined,
    'Kyso.Preset': name(preset),
    Reference:
      options.certify !== undefined
        ? [
            dict({
              Type: name('SigRef'),
              TransformMethod: name('DocMDP'),
              TransformParams: dict({
                Type: name('TransformParams'),
                P: options.certify,
                V: name('1.2'),
              }),
            }),
          ]
        : undefined,
  });
}

/** Where the /Contents hex string sits in the increment, and the byte range around it. */
export interface SignedRanges {
  /** Offset of "<" in the increment. */
  hexStart: number;
  /** Offset just after ">" in the increment. */
  hexEnd: number;
  byteRange: [number, number, number, number];
  /** Input plus increment. */
  total: number;
}

/**
 * Finds the placeholders in our own signature dictionary (written first) and writes the real
 * /ByteRange into the increment; `base` is the input's size.
 */
export function writeByteRange(
  increment: Buffer,
  sigId: number,
  placeholderBytes: number,
  base: number,
): SignedRanges {
  const sigStart = increment.indexOf(`${sigId} 0 obj`);
  const brAt = increment.indexOf(`/ByteRange ${BYTE_RANGE_PLACEHOLDER}`, sigStart);
  const contentsAt = increment.indexOf('/Contents <', sigStart);
  if (sigStart < 0 || brAt < 0 || contentsAt < 0) throw new Error('placeholder not found');
  const hexStart = contentsAt + '/Contents '.length; // at "<"
  const hexEnd = hexStart + 2 + placeholderBytes * 2; // after ">"
  const total = base + increment.length;
  const byteRange: [number, number, number, number] = [
    0,
    base + hexStart,
    base + hexEnd,
    total - (base + hexEnd),
  ];
  const brText = `[${byteRange.join(' ')}]`.padEnd(BYTE_RANGE_PLACEHOLDER.length, ' ');
  if (brText.length !== BYTE_RANGE_PLACEHOLDER.length) {
    throw new KysoError('PDF_UNSUPPORTED', { reason: 'file too large for the byte range' });
  }
  increment.write(brText, brAt + '/ByteRange '.length, 'latin1');
  return { hexStart, hexEnd, byteRange, total };
}

/** Writes the CMS into the /Contents placeholder; SIGNING_FAILED when it does not fit. */
export function writeContents(
  increment: Buffer,
  ranges: SignedRanges,
  der: Buffer,
  placeholderBytes: number,
): void {
  if (der.length > placeholderBytes) {
    throw new KysoError('SIGNING_FAILED', {
      reason: 'signature larger than its placeholder',
      size: der.length,
      placeholder: placeholderBytes,
    });
  }
  increment.write(der.toString('hex'), ranges.hexStart + 1, 'latin1');
}
