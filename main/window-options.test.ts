import { describe, expect, it } from 'vitest';
import { CONTENT_SECURITY_POLICY, windowOptions } from './window-options';

describe('windowOptions', () => {
  it('sandboxes and isolates the renderer, with no Node', () => {
    const web = windowOptions('/x/preload.cjs').webPreferences;
    expect(web).toMatchObject({
      preload: '/x/preload.cjs',
      sandbox: true,
      contextIsolation: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      spellcheck: false,
    });
  });

  it("starts its CSP from default-src 'none' and allows no remote origin", () => {
    expect(CONTENT_SECURITY_POLICY.startsWith("default-src 'none'")).toBe(true);
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/https?:|\*|unsafe-/);
  });
});
