/* global document, btoa, crypto, TextEncoder */
// Demo page logic: list certificates, hash the text with WebCrypto, ask Kyso Agent to sign.
import { KysoClient } from './kyso-client.js';
import { agentUrl } from './config.js';

const $ = (id) => document.getElementById(id);
const kyso = new KysoClient({ url: agentUrl, clientName: 'Kyso demo' });

function showError(error) {
  const box = $('error');
  box.hidden = false;
  box.dataset.code = error.code ?? 'ERROR';
  box.textContent = error.messages
    ? `[${error.code}] ${error.messages.vi}\n${error.messages.en}`
    : String(error);
}

async function loadCertificates() {
  const info = await kyso.connect();
  $('status').textContent =
    `Kyso Agent ${info.version} (giao thức / protocol ${info.protocolVersion})`;
  const certificates = await kyso.listCertificates({ validNow: true });
  const body = $('certs');
  body.replaceChildren();
  for (const [index, cert] of certificates.entries()) {
    const row = document.createElement('tr');
    row.dataset.id = cert.id;
    const pick = document.createElement('input');
    pick.type = 'radio';
    pick.name = 'cert';
    pick.value = cert.id;
    pick.checked = index === 0;
    const cells = [pick, cert.subject.text, cert.issuer.text, cert.notAfter.slice(0, 10)];
    for (const content of cells) {
      const cell = document.createElement('td');
      if (typeof content === 'string') cell.textContent = content;
      else cell.append(content);
      row.append(cell);
    }
    body.append(row);
  }
  $('sign').disabled = certificates.length === 0;
}

function base64(bytes) {
  let text = '';
  for (const b of new Uint8Array(bytes)) text += String.fromCharCode(b);
  return btoa(text);
}

async function sign() {
  $('error').hidden = true;
  $('result').hidden = true;
  const picked = document.querySelector('input[name=cert]:checked');
  if (!picked) return;
  const digest = await crypto.subtle.digest(
    'SHA-256',
    new TextEncoder().encode($('content').value),
  );
  const result = await kyso.signHash({
    certificateId: picked.value,
    hashAlgorithm: 'SHA-256',
    hash: base64(digest),
    documentName: $('docname').value,
  });
  $('scheme').textContent = result.scheme;
  $('signature').textContent = result.signature;
  $('signature').dataset.certificate = result.certificate;
  $('result').hidden = false;
}

$('sign').addEventListener('click', () => sign().catch(showError));
kyso.onTokensChanged(() => loadCertificates().catch(showError));
loadCertificates().catch((error) => {
  $('status').textContent = 'Không kết nối được Kyso Agent / Cannot reach Kyso Agent';
  showError(error);
});
