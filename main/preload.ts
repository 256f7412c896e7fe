// The preload of Cove's one window: `window.cove`, the contract of src/api/contract.ts, written out as ONE NAMED
// FUNCTION PER OPERATION (never a generic `invoke(anyChannel)`), each on its own channel `cove:<op>`, plus `subscribe`
// for the core's events. It runs sandboxed: only `electron` may be imported (the contract's types are erased at
// build time; zod and the core stay in the main process, which checks every call). main/preload.test.ts checks that
// these functions are exactly the contract's operations.
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import type { CoveApi, CoveEvent } from '../src/api/contract';

function invoke<T>(channel: string, input: unknown): Promise<T> {
  return ipcRenderer.invoke(channel, input) as Promise<T>;
}

const cove: CoveApi = {
  appInfo: (input) => invoke('cove:appInfo', input),
  profileCreate: (input) => invoke('cove:profileCreate', input),
  profileUnlock: (input) => invoke('cove:profileUnlock', input),
  profileExport: (input) => invoke('cove:profileExport', input),
  profileDelete: (input) => invoke('cove:profileDelete', input),
  modeGet: (input) => invoke('cove:modeGet', input),
  modeSet: (input) => invoke('cove:modeSet', input),
  whoSeesWhat: (input) => invoke('cove:whoSeesWhat', input),
  vpnInterfaces: (input) => invoke('cove:vpnInterfaces', input),
  torStatus: (input) => invoke('cove:torStatus', input),
  torSetBridges: (input) => invoke('cove:torSetBridges', input),
  torNewIdentity: (input) => invoke('cove:torNewIdentity', input),
  leakCheck: (input) => invoke('cove:leakCheck', input),
  connections: (input) => invoke('cove:connections', input),
  gateways: (input) => invoke('cove:gateways', input),
  gatewaysRefresh: (input) => invoke('cove:gatewaysRefresh', input),
  registrationForm: (input) => invoke('cove:registrationForm', input),
  accountCreate: (input) => invoke('cove:accountCreate', input),
  accountLogin: (input) => invoke('cove:accountLogin', input),
  accounts: (input) => invoke('cove:accounts', input),
  accountRemove: (input) => invoke('cove:accountRemove', input),
  accountEndpoints: (input) => invoke('cove:accountEndpoints', input),
  chats: (input) => invoke('cove:chats', input),
  messages: (input) => invoke('cove:messages', input),
  search: (input) => invoke('cove:search', input),
  send: (input) => invoke('cove:send', input),
  markRead: (input) => invoke('cove:markRead', input),
  setDraft: (input) => invoke('cove:setDraft', input),
  openChat: (input) => invoke('cove:openChat', input),
  contacts: (input) => invoke('cove:contacts', input),
  contactAdd: (input) => invoke('cove:contactAdd', input),
  contactApprove: (input) => invoke('cove:contactApprove', input),
  contactDeny: (input) => invoke('cove:contactDeny', input),
  contactRemove: (input) => invoke('cove:contactRemove', input),
  contactBlock: (input) => invoke('cove:contactBlock', input),
  invite: (input) => invoke('cove:invite', input),
  keys: (input) => invoke('cove:keys', input),
  keyDecide: (input) => invoke('cove:keyDecide', input),
  newBackupCode: (input) => invoke('cove:newBackupCode', input),
  setNickname: (input) => invoke('cove:setNickname', input),
  setAvatar: (input) => invoke('cove:setAvatar', input),
  settings: (input) => invoke('cove:settings', input),
  setSettings: (input) => invoke('cove:setSettings', input),
  logs: (input) => invoke('cove:logs', input),
  subscribe: (listener) => {
    const onEvent = (_event: IpcRendererEvent, event: CoveEvent): void => {
      listener(event);
    };
    ipcRenderer.on('cove:event', onEvent);
    return () => {
      ipcRenderer.removeListener('cove:event', onEvent);
    };
  },
};

contextBridge.exposeInMainWorld('cove', cove);
