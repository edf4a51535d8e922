/**
 * PAdES B-LT (ETSI EN 319 142-1 §5.4): the Document Security Store, /DSS in the catalog with
 * /Certs, /OCSPs and /CRLs arrays of streams, added as an incremental update after the
 * signature. The signed revisions are not touched: a new DSS dictionary object (carrying
 * the earlier DSS's entries too) and the catalog pointing at it, which the change classifier
 * (changes.ts) counts as an allowed change, also under DocMDP P=2.
 */
import { createHash } from 'node:crypto';
import { deflateSync } from 'node:zlib';
import { decodeStream } from './filters.ts';
import { IncrementBuilder } from './increment.ts';
import { PdfDict, PdfRef, PdfStream, ref, type PdfValue } from './objects.ts';
import { PdfReader } from './reader.ts';
import { openSource } from './source.ts';

export interface DssMaterial {
  /** DER certificates (signer's and TSA's paths). */
  certificates: Buffer[];
  /** DER OCSPResponse, as received. */
  ocsps: Buffer[];
  /** DER CertificateList. */
  crls: Buffer[];
}

export interface DssContent extends DssMaterial {
  present: boolean;
}

const KEYS = { certificates: 'Certs', ocsps: 'OCSPs', crls: 'CRLs' } as const;

function streamBody(der: Buffer): Buffer {
  const packed = deflateSync(der);
  return Buffer.concat([
    Buffer.from(`<</Length ${packed.length} /Filter /FlateDecode>>\nstream\n`, 'latin1'),
    packed,
    Buffer.from('\nendstream', 'latin1'),
  ]);
}

const fingerprint = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

async function refsOf(
  reader: PdfReader,
  dss: PdfDict | undefined,
  key: string,
): Promise<PdfValue[]> {
  const value = dss ? await reader.resolve(dss.get(key)) : undefined;
  return Array.isArray(value) ? value : [];
}

/** The DSS of the newest revision, decoded. */
export async function readDss(reader: PdfReader): Promise<DssContent> {
  const catalog = await reader.catalog();
  const dss = await reader.resolveDict(catalog.dict.get('DSS'));
  const out: DssContent = { present: Boolean(dss), certificates: [], ocsps: [], crls: [] };
  for (const [field, key] of Object.entries(KEYS) as [keyof DssMaterial, string][]) {
    for (const r of await refsOf(reader, dss, key)) {
      const s = r instanceof PdfRef ? await reader.getObject(r.num) : r;
      if (s instanceof PdfStream) {
        try {
          out[field].push(decodeStream(s.dict, s.raw));
        } catch {
          // An undecodable entry is simply not usable evidence.
        }
      }
    }
  }
  return out;
}

/**
 * Returns `pdf` with one more incremental update holding the DSS: the earlier entries kept,
 * new certificates, OCSP responses and CRLs added once each.
 */
export async function addDss(pdf: Buffer, material: DssMaterial): Promise<Buffer> {
  const source = await openSource(pdf);
  try {
    const reader = await PdfReader.open(source);
    const builder = new IncrementBuilder(reader);
    const catalog = await reader.catalog();
    const old = await reader.resolveDict(catalog.dict.get('DSS'));
    const existing = await readDss(reader);
    const entries: Record<string, PdfValue | undefined> = {};
    for (const [field, key] of Object.entries(KEYS) as [keyof DssMaterial, string][]) {
      const refs = [...(await refsOf(reader, old, key))];
      const seen = new Set(existing[field].map(fingerprint));
      for (const der of material[field]) {
        const f = fingerprint(der);
        if (seen.has(f)) continue;
        seen.add(f);
        const id = builder.allocate();
        builder.add(id, streamBody(der));
        refs.push(ref(id));
      }
      entries[key] = refs.length > 0 ? refs : undefined;
    }
    // Keep what an earlier DSS had besides the three arrays (e.g. /VRI).
    const dssDict = old ? old.clone() : new PdfDict();
    for (const [k, v] of Object.entries(entries)) if (v !== undefined) dssDict.set(k, v);
    const dssId = builder.allocate();
    builder.add(dssId, dssDict);
    const newCatalog = catalog.dict.clone();
    newCatalog.set('DSS', ref(dssId));
    builder.add(catalog.ref.num, newCatalog, catalog.ref.gen);
    const increment = await builder.build();
    return Buffer.concat([pdf, increment]);
  } finally {
    await source.close();
  }
}
