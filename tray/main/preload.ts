/** The bridge a window page sees as `window.kyso`: typed IPC calls, nothing else. */
import { contextBridge, ipcRenderer } from 'electron';
import { CHANNELS, type KysoBridge } from '../bridge.ts';
import type { Locale } from '../i18n.ts';

const bridge: KysoBridge = {
  locale: () => ipcRenderer.invoke(CHANNELS.locale),
  setLocale: (locale) => ipcRenderer.invoke(CHANNELS.setLocale, locale),
  onLocaleChanged: (listener) => {
    ipcRenderer.on(CHANNELS.localeChanged, (_event, locale: Locale) => listener(locale));
  },
  dialogRequest: () => ipcRenderer.invoke(CHANNELS.dialogRequest),
  dialogRespond: (response) => ipcRenderer.invoke(CHANNELS.dialogRespond, response),
  status: () => ipcRenderer.invoke(CHANNELS.status),
  settings: () => ipcRenderer.invoke(CHANNELS.settings),
  saveSettings: (update) => ipcRenderer.invoke(CHANNELS.saveSettings, update),
  revokeOrigin: (origin) => ipcRenderer.invoke(CHANNELS.revokeOrigin, origin),
  runDoctor: () => ipcRenderer.invoke(CHANNELS.runDoctor),
};

contextBridge.exposeInMainWorld('kyso', bridge);
