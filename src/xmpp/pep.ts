/**
 * PEP (XEP-0163) plumbing shared by the modules that keep data on the account's personal pubsub service (avatars and
 * vCard4 in vcard.ts, OX keys in ox-keys.ts):
 * - stanza builders for `<items/>`, `<publish/>` (with XEP-0060 publish-options) and the owner `<configure/>`;
 * - publishWithOptions: publish with publish-options and, when the server refuses them (it does not support them, or
 *   the node exists with another configuration: `precondition-not-met`), configure the node and publish again, as
 *   XEP-0373 §4 and XEP-0223 describe; a node whose access model cannot be set is a typed PepPublishError;
 * - PepNotify: the account's entity capabilities (XEP-0115) and disco#info answer, which carry the `<node>+notify`
 *   features: the server sends a contact's PEP events to us only for the nodes we list there (XEP-0163 §4).
 *
 * PepNotify answers disco#info queries to our full JID and sends a presence with `<c/>` once per new session (after
 * which the server keeps our caps even when a later presence has no `<c/>`). A module that sends presence with a
 * status should add `PepNotify.for(account).capsElement()` to it.
 */
import { createHash } from 'node:crypto';
import { xml, type Element, type IqCalleeContext } from '@xmpp/client';
import { CoveError } from '../api/result';
import type { AccountState, XmppAccount } from './account';
import { NS_DATA } from './dataform';
import { XmppRequestError } from './errors';

export const NS_PUBSUB = 'http://jabber.org/protocol/pubsub';
export const NS_PUBSUB_EVENT = 'http://jabber.org/protocol/pubsub#event';
export const NS_PUBSUB_OWNER = 'http://jabber.org/protocol/pubsub#owner';
export const NS_DISCO_INFO = 'http://jabber.org/protocol/disco#info';
export const NS_CAPS = 'http://jabber.org/protocol/caps';
const NS_STANZAS = 'urn:ietf:params:xml:ns:xmpp-stanzas';
const PUBLISH_OPTIONS = 'http://jabber.org/protocol/pubsub#publish-options';
const NODE_CONFIG = 'http://jabber.org/protocol/pubsub#node_config';

/** XEP-0060 access models a PEP node may have. */
export type AccessModel = 'open' | 'presence' | 'roster' | 'whitelist' | 'authorize';

export interface NodeOptions {
  readonly accessModel?: AccessModel;
  readonly maxItems?: number;
}

/** `<pubsub><items node max_items=1/></pubsub>`, or the one item `itemId`. */
export function pubsubItems(node: string, itemId?: string): Element {
  return xml(
    'pubsub',
    { xmlns: NS_PUBSUB },
    xml('items', { node, ...(itemId === undefined ? { max_items: '1' } : {}) }, itemId === undefined ? null : xml('item', { id: itemId })),
  );
}

function optionsForm(formType: string, options: NodeOptions): Element {
  const field = (v: string, value: string): Element => xml('field', { var: v }, xml('value', {}, value));
  return xml(
    'x',
    { xmlns: NS_DATA, type: 'submit' },
    xml('field', { var: 'FORM_TYPE', type: 'hidden' }, xml('value', {}, formType)),
    options.accessModel === undefined ? null : field('pubsub#access_model', options.accessModel),
    options.maxItems === undefined ? null : field('pubsub#max_items', String(options.maxItems)),
  );
}

/** `<pubsub><publish node><item id>payload</item></publish>[<publish-options/>]</pubsub>`. */
export function publish(node: string, id: string, payload: Element, options?: NodeOptions): Element {
  return xml(
    'pubsub',
    { xmlns: NS_PUBSUB },
    xml('publish', { node }, xml('item', { id }, payload)),
    options === undefined ? null : xml('publish-options', {}, optionsForm(PUBLISH_OPTIONS, options)),
  );
}

/** The owner's `<configure/>` submit for `node` (XEP-0060 §8.2). */
export function configureNode(node: string, options: NodeOptions): Element {
  return xml('pubsub', { xmlns: NS_PUBSUB_OWNER }, xml('configure', { node }, optionsForm(NODE_CONFIG, options)));
}

export type PepPublishFailure = 'refused' | 'options-refused';

/** Publishing to our PEP service failed; `options-refused`: the node could not be given the access model we need. */
export class PepPublishError extends CoveError {
  override name = 'PepPublishError';
  constructor(
    readonly reason: PepPublishFailure,
    readonly condition: string,
    options?: ErrorOptions,
  ) {
    super(
      `pep-${reason}`,
      reason === 'options-refused'
        ? 'The server did not let Cove restrict who may read this data, so it was not published.'
        : `The server refused to publish the data (${condition}).`,
      options,
    );
  }
}

/** Stanza errors that say "not with these options": retry after configuring the node. */
const OPTIONS_CONDITIONS = new Set(['conflict', 'precondition-not-met', 'feature-not-implemented', 'bad-request', 'not-acceptable', 'policy-violation']);

/** The pubsub-specific condition if there is one (e.g. precondition-not-met), else the stanza error condition. */
function conditionOf(err: XmppRequestError): string {
  const application: unknown = err.cause instanceof Error ? Reflect.get(err.cause, 'application') : undefined;
  if (application !== null && typeof application === 'object' && 'name' in application && typeof application.name === 'string') return application.name;
  return err.condition;
}

export type PublishPath = 'with-options' | 'configured-then-published' | 'published-then-configured';

/**
 * Publishes `payload` as item `id` of our node `node` so that the node ends up with `options` (see the top of this
 * file). Resolves with the path that worked; throws PepPublishError (or NotOnlineError / XmppTimeoutError).
 */
export async function publishWithOptions(account: XmppAccount, node: string, id: string, payload: Element, options: NodeOptions, what: string): Promise<PublishPath> {
  let first: XmppRequestError;
  try {
    await account.iq('set', publish(node, id, payload, options), what);
    return 'with-options';
  } catch (err) {
    if (!(err instanceof XmppRequestError)) throw err;
    const condition = conditionOf(err);
    if (!OPTIONS_CONDITIONS.has(condition) && !OPTIONS_CONDITIONS.has(err.condition)) throw new PepPublishError('refused', condition, { cause: err });
    first = err;
  }
  // The node exists with another configuration (precondition-not-met): configure it, then publish with options.
  try {
    await account.iq('set', configureNode(node, options), what);
    await account.iq('set', publish(node, id, payload, options), what);
    return 'configured-then-published';
  } catch {
    // The server may not know publish-options at all: publish plainly, then configure what was created.
  }
  try {
    await account.iq('set', publish(node, id, payload), what);
  } catch (err) {
    throw new PepPublishError('refused', err instanceof XmppRequestError ? conditionOf(err) : 'error', { cause: err });
  }
  try {
    await account.iq('set', configureNode(node, options), what);
  } catch (err) {
    // Published with the server's default access model: remove it again rather than leave it readable to others.
    await account.iq('set', xml('pubsub', { xmlns: NS_PUBSUB_OWNER }, xml('delete', { node })), what).catch(() => undefined);
    throw new PepPublishError('options-refused', conditionOf(first), { cause: err });
  }
  return 'published-then-configured';
}

/**
 * The items of `node` on `jid`'s PEP service (ours when `jid` is undefined): the `<items/>` element, or undefined when
 * the node does not exist. Other failures throw (XmppRequestError carries the condition).
 */
export async function fetchItems(account: XmppAccount, jid: string | undefined, node: string, what: string, itemId?: string): Promise<Element | undefined> {
  try {
    const pubsub = await account.iq('get', pubsubItems(node, itemId), what, jid);
    return pubsub?.getChild('items');
  } catch (err) {
    if (err instanceof XmppRequestError && err.condition === 'item-not-found') return undefined;
    throw err;
  }
}

/** The `<items/>` of a PEP event message for `node`, or undefined when the message is no such event. */
export function eventItems(message: Element, node: string): Element | undefined {
  const items = message.getChild('event', NS_PUBSUB_EVENT)?.getChild('items');
  return items?.attrs.node === node ? items : undefined;
}

export const CAPS_NODE = 'urn:cove:caps';
const IDENTITY = { category: 'client', type: 'pc', name: 'Cove' } as const;
const registry = new WeakMap<XmppAccount, PepNotify>();
/** What announce() copies from a presence it follows up. */
const PRESENCE_CHILDREN = new Set(['show', 'status', 'priority']);

/** The account's caps and disco#info (see the top of this file). One per account: get it with PepNotify.for(). */
export class PepNotify {
  static for(account: XmppAccount): PepNotify {
    let notify = registry.get(account);
    if (notify === undefined) {
      notify = new PepNotify(account);
      registry.set(account, notify);
    }
    return notify;
  }

  private readonly featureSet = new Set<string>([NS_DISCO_INFO, NS_CAPS]);
  private announced = false;

  private constructor(private readonly account: XmppAccount) {
    account.client.iqCallee.get(NS_DISCO_INFO, 'query', (ctx) => this.onDiscoInfo(ctx));
    account.on('state', (s: AccountState) => {
      if (s.state === 'online' && !s.resumed) {
        this.announced = false;
        void this.announce();
      }
    });
    // The server uses the caps of our LAST presence that reached a contact: a broadcast presence sent without them
    // (e.g. the roster's initial one) is followed by the same presence with caps.
    account.client.on('send', (el: Element) => {
      if (el.is('presence') && el.attrs.to === undefined && el.attrs.type === undefined && el.getChild('c', NS_CAPS) === undefined) {
        void this.announce(el);
      }
    });
  }

  get features(): string[] {
    return [...this.featureSet].sort(octetOrder);
  }

  /** Asks for `node`'s events (`<node>+notify`); announces the new caps if we are online. */
  want(node: string): void {
    const feature = `${node}+notify`;
    if (this.featureSet.has(feature)) return;
    this.featureSet.add(feature);
    if (this.announced && this.account.online) void this.announce();
  }

  /** The XEP-0115 verification string of our identity and features. */
  get ver(): string {
    const s = `${IDENTITY.category}/${IDENTITY.type}//${IDENTITY.name}<${this.features.map((f) => `${f}<`).join('')}`;
    return createHash('sha1').update(s, 'utf8').digest('base64');
  }

  capsElement(): Element {
    return xml('c', { xmlns: NS_CAPS, hash: 'sha-1', node: CAPS_NODE, ver: this.ver });
  }

  /**
   * Sends our broadcast presence (`like`'s show and status, if given) with caps. Call it again when a contact has
   * just approved us, so that their server learns which events we want. Never throws: a failure is logged.
   */
  async announce(like?: Element): Promise<void> {
    const children = (like?.getChildElements() ?? []).filter((c) => PRESENCE_CHILDREN.has(c.name)).map((c) => xml(c.name, {}, c.text()));
    try {
      await this.account.send(xml('presence', {}, ...children, this.capsElement()));
      this.announced = true;
    } catch (err) {
      this.account.log?.warn('could not announce the client features', err instanceof Error ? err : undefined);
    }
  }

  private onDiscoInfo(ctx: IqCalleeContext): Element {
    const node = ctx.element.attrs.node;
    if (node !== undefined && node !== `${CAPS_NODE}#${this.ver}`) {
      return xml('error', { type: 'cancel' }, xml('item-not-found', { xmlns: NS_STANZAS }));
    }
    return xml(
      'query',
      { xmlns: NS_DISCO_INFO, ...(node === undefined ? {} : { node }) },
      xml('identity', { ...IDENTITY }),
      ...this.features.map((f) => xml('feature', { var: f })),
    );
  }
}

/** XEP-0115 sorts by "i;octet": byte order of the UTF-8 strings. */
function octetOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}
