// The preload exposes `window.cove`: one named function per contract operation (added with the contract in src/api).
import { contextBridge } from 'electron';

contextBridge.exposeInMainWorld('cove', Object.freeze({ version: '0.1.0' }));
