/** What a caller asks of a PDF signature and what it gets back (shared by sign and batch). */
import type { Hash } from 'node:crypto';
import type { Signer } from '../cms/index.ts';
import type { SignWarning } from '../protocol/index.ts';
import type { HashAlgorithm } from '../tokens/index.ts';
import type { AppearancePreset, AppearanceRequest } from './appearance/index.ts';

export type SignaturePreset = AppearancePreset;

/** What the caller says about the appearance; the signer and time come from the signature. */
export type AppearanceOptions = Omit<
  AppearanceRequest,
  'preset' | 'signerName' | 'signerCertificate' | 'signingTime'
>;

export interface SignPdfOptions {
  signer: Signer;
  hash?: HashAlgorithm;
  preset?: SignaturePreset;
  /** Field name; default "Signature<n>". */
  fieldName?: string;
  signingTime?: Date;
  reason?: string;
  location?: string;
  contactInfo?: string;
  /** Signer name written to /Name (display only; the certificate is authoritative). */
  signerName?: string;
  /** Certify the document (DocMDP): 1 no changes, 2 form fill + signatures, 3 also annotations. */
  certify?: 1 | 2 | 3;
  /** Appearance details for the preset (image, placement, number, date, ...). */
  appearance?: AppearanceOptions;
  /** Output file (never overwritten: FILE_EXISTS). Without it the signed bytes are returned. */
  output?: string;
  /** Issue 14 (B-T): extra /Contents bytes for unsigned attributes (the signature timestamp). */
  contentsReserve?: number;
  /** Issue 14 (B-T): adds unsigned attributes to the finished CMS before it is embedded. */
  finishCms?: (der: Buffer) => Promise<Buffer>;
  /** False: skip the fsync of `output` (a temp file that dies with its connection). */
  durable?: boolean;
  /**
   * True: `output` is a fresh name of the caller's own (a socket store's result): no FILE_EXISTS
   * check first and no temp file beside it; the input is copied there (never over a file).
   */
  ownOutput?: boolean;
  /**
   * A running hash of exactly the input's bytes, not yet digested (an upload hashed as it was
   * received): the signed ranges start with the whole input, so the input is not hashed again.
   * Used only when `algorithm` is the signature's hash and `size` the input's.
   */
  inputDigest?: InputDigest;
}

export interface InputDigest {
  algorithm: HashAlgorithm;
  size: number;
  /** Continued by the signature (updated and digested): a copy only this signature uses. */
  state: Hash;
}

/** PAdES baseline levels (ETSI EN 319 142-1): issue 14. */
export type PadesLevel = 'B-B' | 'B-T' | 'B-LT' | 'B-LTA';
export const PADES_LEVELS: readonly PadesLevel[] = ['B-B', 'B-T', 'B-LT', 'B-LTA'];

export interface SignPdfResult {
  fieldName: string;
  /** The PAdES level reached (issue 14); set by the signing pipeline. */
  level?: PadesLevel;
  /** Present when no output path was given. */
  bytes?: Buffer;
  output?: string;
  size: number;
  byteRange: [number, number, number, number];
  cmsSize: number;
  placeholderSize: number;
  /**
   * What did not go as asked: a number or date not written (no [SO_VB]/[NGAY_BH]), an image
   * scaled down, the approval in its default place, a top-right box moved. Always present;
   * empty when everything went as asked. Codes and words: WARNING_CODES / warningCatalog
   * (agent/protocol/warnings.ts).
   */
  warnings: SignWarning[];
}

export interface PreparedPdfSignature {
  hash: HashAlgorithm;
  /** The one digest the token signs (over the CMS signed attributes). */
  toSign: Buffer;
  /** The warnings the result will carry, known once prepared (before the token signs). */
  warnings: SignWarning[];
  finish(signature: Buffer): Promise<SignPdfResult>;
  /** Releases files when the batch is abandoned. */
  abort(): Promise<void>;
}
