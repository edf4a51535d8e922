/**
 * Entry of the vgca.js bundle (agent/vgca/build.ts): defines the VGCA globals on window.
 * Load it where the page loaded the plugin's script; set window.KysoVgcaOptions before or
 * after (options are read at each call).
 */
import { installVgcaGlobals } from './index.ts';

installVgcaGlobals(globalThis as unknown as Record<string, unknown>);
