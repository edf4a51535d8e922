/* global document, atob, btoa, fetch, Blob */
// Demo document system: a decision goes from the leader's approval signature to the clerk's
// issuance (seal, number, date), then an attachment or copy signature; every step is signed
// by Kyso Agent (sign.pdf / sign.pdfs), previewed with pdf.js and verified (verify.pdf).
import { KysoClient } from './kyso-client.js';
import { agentUrl } from './config.js';
import * as pdfjs from '/pdfjs/pdf.min.mjs';

pdfjs.GlobalWorkerOptions.workerSrc = '/pdfjs/pdf.worker.min.mjs';

const $ = (id) => document.getElementById(id);
const kyso = new KysoClient({ url: agentUrl, clientName: 'Kyso demo' });

/** The document being worked on. */
const doc = { name: 'Quyết định (mẫu).pdf', bytes: new Uint8Array(), signatures: 0 };
const images = {};
let downloadUrl = null;

function showError(error) {
  const box = $('error');
  box.hidden = false;
  box.dataset.code = error.code ?? 'ERROR';
  const lines = error.messages
    ? [`[${error.code}] ${error.messages.vi}`, error.messages.en]
    : [String(error)];
  const retry = error.details?.retryAfterSeconds;
  if (typeof retry === 'number') {
    const minutes = Math.ceil(retry / 60);
    lines.push(`Có thể thử lại sau ${minutes} phút / You may retry in ${minutes} min.`);
  }
  if (error.details?.agentMayNotRun)
    lines.push(
      'Nếu đã cho phép mà vẫn lỗi, hãy kiểm tra Kyso Agent đã chạy. / If allowing does not help, check that Kyso Agent runs.',
    );
  box.textContent = lines.join('\n');
}

function clearMessages() {
  $('error').hidden = true;
  $('warnings').replaceChildren();
  $('progress').textContent = '';
}

function base64(bytes) {
  let text = '';
  const chunk = 0x8000;
  for (let i = 0; i < bytes.length; i += chunk)
    text += String.fromCharCode(...bytes.subarray(i, i + chunk));
  return btoa(text);
}

function fromBase64(text) {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

async function fetchBytes(path) {
  const response = await fetch(path);
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

function selectedCertificate() {
  return document.querySelector('input[name=cert]:checked')?.value;
}

async function loadCertificates() {
  const info = await kyso.connect();
  $('status').textContent =
    `Kyso Agent ${info.version} (giao thức / protocol ${info.protocolVersion})`;
  const certificates = await kyso.listCertificates({ validNow: true });
  const body = $('certs');
  const previous = selectedCertificate();
  body.replaceChildren();
  for (const [index, cert] of certificates.entries()) {
    const row = document.createElement('tr');
    row.dataset.id = cert.id;
    const pick = document.createElement('input');
    pick.type = 'radio';
    pick.name = 'cert';
    pick.value = cert.id;
    pick.checked = previous ? cert.id === previous : index === 0;
    const cells = [pick, cert.subject.text, cert.issuer.text, cert.notAfter.slice(0, 10)];
    for (const content of cells) {
      const cell = document.createElement('td');
      if (typeof content === 'string') cell.textContent = content;
      else cell.append(content);
      row.append(cell);
    }
    body.append(row);
  }
  for (const id of ['approve', 'issue', 'extra']) $(id).disabled = certificates.length === 0;
}

async function preview() {
  // pdf.js takes ownership of the buffer it gets: give it a copy.
  const pdf = await pdfjs.getDocument({ data: doc.bytes.slice(), isEvalSupported: false }).promise;
  const canvases = [];
  for (let n = 1; n <= pdf.numPages; n++) {
    const page = await pdf.getPage(n);
    const viewport = page.getViewport({ scale: 1.5 });
    const canvas = document.createElement('canvas');
    canvas.width = Math.ceil(viewport.width);
    canvas.height = Math.ceil(viewport.height);
    canvas.dataset.page = String(n);
    await page.render({ canvas, canvasContext: canvas.getContext('2d'), viewport }).promise;
    canvases.push(canvas);
  }
  await pdf.destroy();
  $('preview').replaceChildren(...canvases);
}

const yes = (ok) => (ok ? '✔' : '✘');
/** "CN=TEST Root CA, O=…" → "TEST Root CA". */
const commonName = (dn) => (dn ? (/(?:^|,\s*)CN=([^,]+)/.exec(dn)?.[1] ?? dn) : undefined);

async function verify() {
  const report = await kyso.verifyPdf({ pdf: base64(doc.bytes) });
  doc.signatures = report.signatures.length;
  const body = $('report');
  body.replaceChildren();
  report.signatures.forEach((s, index) => {
    const row = document.createElement('tr');
    row.dataset.field = s.fieldName;
    row.dataset.valid = String(s.valid);
    row.dataset.preset = s.preset ?? '';
    const integrity =
      s.integrity.byteRangeValid && s.integrity.digestMatches && s.integrity.signatureValid;
    const trusted = s.chain?.trusted ?? false;
    const changes = {
      none: 'không / none',
      'signatures-only': 'chỉ thêm chữ ký / signatures only',
      other: 'có sửa đổi / modified',
    }[s.changes];
    const cells = [
      String(index + 1),
      s.signer ?? '?',
      s.preset ?? s.subFilter ?? '',
      s.signingTime ? new Date(s.signingTime).toLocaleString('vi-VN') : '',
      yes(integrity),
      `${yes(trusted)} ${commonName(s.chain?.path?.at(-1)) ?? s.chain?.reason ?? ''}`,
      changes ?? s.changes,
      s.valid ? 'Hợp lệ / valid' : `Không hợp lệ / invalid${s.error ? ` (${s.error})` : ''}`,
    ];
    for (const text of cells) {
      const cell = document.createElement('td');
      cell.textContent = text;
      row.append(cell);
    }
    row.lastElementChild.className = s.valid ? 'ok' : 'bad';
    body.append(row);
  });
  const verdict = $('verdict');
  verdict.dataset.valid = String(report.valid);
  verdict.className = report.valid ? 'ok' : report.signatures.length ? 'bad' : '';
  verdict.textContent = report.signatures.length
    ? report.valid
      ? `Tất cả ${report.signatures.length} chữ ký hợp lệ / All ${report.signatures.length} signatures are valid`
      : 'Có chữ ký không hợp lệ / Some signatures are not valid'
    : 'Văn bản chưa có chữ ký số / The document has no signatures';
  showWarnings(report.warnings);
}

function showWarnings(warnings) {
  for (const w of warnings ?? []) {
    const item = document.createElement('li');
    item.dataset.code = w.code;
    item.textContent = `${w.message.vi} / ${w.message.en}`;
    $('warnings').append(item);
  }
}

function offerDownload() {
  if (downloadUrl) URL.revokeObjectURL(downloadUrl);
  downloadUrl = URL.createObjectURL(new Blob([doc.bytes], { type: 'application/pdf' }));
  const link = $('download');
  link.href = downloadUrl;
  link.download = doc.name;
  link.hidden = doc.signatures === 0;
}

async function show(bytes) {
  doc.bytes = bytes;
  await preview();
  await verify();
  $('preview').dataset.signatures = String(doc.signatures);
  offerDownload();
  $('docstate').textContent = doc.signatures
    ? `${doc.signatures} chữ ký / signature(s)`
    : 'chưa ký / unsigned';
}

async function image(name) {
  images[name] ??= base64(await fetchBytes(`/${name}.png`));
  return images[name];
}

const PRESET_TEXT = {
  approval: 'ký duyệt / approval',
  issuance: 'phát hành / issuance',
  attachment: 'ký kèm theo / attachment',
  copy: 'ký bản sao / copy',
};

async function appearanceFor(preset) {
  if (preset === 'approval')
    return { image: await image('signature'), placement: { anchor: $('anchor').value } };
  if (preset === 'issuance')
    return {
      image: await image('seal'),
      docNumber: $('docnumber').value,
      issuedDate: $('issueddate').value,
    };
  if (preset === 'attachment') return { docNumber: $('docnumber').value };
  return { copyForm: 'SAO Y' };
}

/** One document, one signature: sign.pdf. */
async function sign(preset) {
  clearMessages();
  const certificateId = selectedCertificate();
  if (!certificateId) return;
  $('progress').textContent =
    `Đang chờ xác nhận ký (${PRESET_TEXT[preset]}) trong Kyso… / Waiting for approval in Kyso…`;
  const result = await kyso.signPdf({
    certificateId,
    pdf: base64(doc.bytes),
    documentName: doc.name,
    preset,
    ...(await appearanceFor(preset)),
  });
  $('progress').textContent = `Đã ký (${PRESET_TEXT[preset]}) / Signed: ${result.fieldName}`;
  await show(fromBase64(result.pdf));
  showWarnings(result.warnings);
}

/** The batch method, for a document at a time here: sign.pdfs with per-document progress. */
async function signBatch(preset) {
  clearMessages();
  const certificateId = selectedCertificate();
  if (!certificateId) return;
  const result = await kyso.signPdfs(
    {
      certificateId,
      preset,
      ...(await appearanceFor(preset)),
      items: [{ name: doc.name, pdf: base64(doc.bytes) }],
    },
    {
      onProgress: ({ done, total }) => {
        $('progress').textContent =
          done === 0
            ? `Đang chờ xác nhận ký ${total} văn bản… / Waiting for approval of ${total} document(s)…`
            : `Đã xử lý ${done}/${total} văn bản / ${done} of ${total} document(s) done`;
      },
    },
  );
  const [item] = result.items;
  if (!item) return;
  if (!item.ok) {
    showError({ code: item.error.code, messages: item.error.message, details: item.error.details });
    return;
  }
  await show(fromBase64(item.pdf));
  showWarnings([...result.warnings, ...item.warnings]);
}

async function loadSample() {
  doc.name = 'Quyết định (mẫu).pdf';
  $('docname').textContent = doc.name;
  await show(await fetchBytes('/sample.pdf'));
}

async function openFile(file) {
  clearMessages();
  doc.name = file.name;
  $('docname').textContent = file.name;
  await show(new Uint8Array(await file.arrayBuffer()));
}

$('issueddate').value = new Date().toISOString().slice(0, 10);
$('approve').addEventListener('click', () => sign('approval').catch(showError));
$('issue').addEventListener('click', () => sign('issuance').catch(showError));
$('extra').addEventListener('click', () => signBatch($('extrapreset').value).catch(showError));
$('file').addEventListener('change', () => {
  const file = $('file').files?.[0];
  if (file) openFile(file).catch(showError);
});
kyso.onTokensChanged(() => loadCertificates().catch(showError));
loadCertificates().catch((error) => {
  $('status').textContent = 'Không kết nối được Kyso Agent / Cannot reach Kyso Agent';
  showError(error);
});
// The preview does not need the agent; its verification does (and says why it cannot).
loadSample().catch(showError);
