/**
 * XEP-0077 in-band registration on a server the user picks, on the client's own stream: @xmpp/client calls the
 * `credentials` handler once the server offers SASL, i.e. after STARTTLS and before authentication, which is when
 * XEP-0077 wants it. There we fetch the form (`<iq type='get'><query xmlns='jabber:iq:register'/></iq>`), fill in
 * user name and password, and submit it — as a XEP-0004 data form when the server sent one, else as the simple
 * fields. A form that asks for more (a CAPTCHA, XEP-0158, or other fields) is handed to the caller as a typed
 * `needs-input` outcome carrying the fields, their media and any URL; the stream waits (bounded) for `submit()`.
 * After a successful registration we log in once with the new account on the same stream, which proves it works.
 * Errors are typed (RegistrationError): conflict → username-taken, not-allowed → registration-closed, ...
 */
import { client as xmppClient, xml, type Client, type Element } from '@xmpp/client';
import { CoveError } from '../api/result';
import { classifyFailure, DEFAULT_TIMEOUT_MS, pickMechanism, serviceUri, transportSocket, type ConnectionSettings } from './connection';
import { collectBob, isCaptcha, NS_DATA, NS_OOB, parseDataForm, submitDataForm, type DataForm, type FormField, type FormValues, type MediaItem } from './dataform';
import { RegistrationError, stanzaCondition, withTimeout, XmppAccountError, type RegistrationFailure } from './errors';
import { closeClient, requireTls, useTransport } from './socket';

export const NS_REGISTER = 'jabber:iq:register';

export interface RegisterOptions extends ConnectionSettings {
  /**
   * The chosen user name and password. Leave them out to get the server's form first (a `needs-input` outcome even
   * when the form is simple): the UI shows it, and submit() carries them.
   */
  username?: string;
  password?: string;
  /** How long the stream waits for the caller to answer a `needs-input` outcome (default 5 min). */
  inputTimeoutMs?: number;
}

export interface RegistrationForm {
  readonly instructions?: string;
  /** The fields to show; user name and password are filled in already (the caller may still change them). */
  readonly fields: readonly FormField[];
  readonly captcha: boolean;
  /** All media of the form (CAPTCHA images, audio), bytes included when the server sent them inline. */
  readonly media: readonly MediaItem[];
  /** An http(s) address the server says to register at instead (jabber:x:oob); Cove never opens it by itself. */
  readonly url?: string;
}

export type RegistrationOutcome =
  | { readonly status: 'registered'; readonly jid: string }
  | {
      readonly status: 'needs-input';
      readonly form: RegistrationForm;
      /** Sends the filled form (by field name); resolves with the next outcome. */
      submit(values: FormValues): Promise<RegistrationOutcome>;
      cancel(): Promise<void>;
    };

type Answer = { kind: 'submit'; values: FormValues } | { kind: 'cancel' };

const SIMPLE_FIELDS = new Set(['username', 'password']);

/** Maps a registration stanza error to a typed reason. */
export function registrationFailure(condition: string | undefined, errorType?: string): RegistrationFailure {
  switch (condition) {
    case 'conflict':
      return 'username-taken';
    case 'not-acceptable':
    case 'bad-request':
    case 'jid-malformed':
      return errorType === 'wait' ? 'rate-limited' : 'not-acceptable';
    case 'not-allowed':
    case 'forbidden':
    case 'registration-required':
      return 'registration-closed';
    case 'resource-constraint':
    case 'policy-violation':
      return 'rate-limited';
    case 'service-unavailable':
    case 'feature-not-implemented':
      return 'unsupported';
    default:
      return errorType === 'wait' ? 'rate-limited' : 'refused';
  }
}

function toRegistrationError(err: unknown): RegistrationError {
  const type: unknown = err instanceof Error ? Reflect.get(err, 'type') : undefined;
  const condition = stanzaCondition(err);
  return new RegistrationError(registrationFailure(condition, typeof type === 'string' ? type : undefined), condition, { cause: err });
}

interface ParsedForm {
  readonly dataForm?: DataForm;
  readonly form: RegistrationForm;
  /** True when user name and password are all it asks for. */
  readonly simple: boolean;
}

/** Reads the answer to the form request: a data form if there is one, else the legacy fields. */
export function parseRegistrationQuery(iq: Element): ParsedForm {
  const query = iq.getChild('query', NS_REGISTER);
  if (query === undefined) throw new RegistrationError('unsupported');
  const bob = collectBob(iq);
  const x = query.getChild('x', NS_DATA);
  const rawUrl = query.getChild('x', NS_OOB)?.getChildText('url')?.trim();
  const url = rawUrl !== undefined && /^https?:\/\/[^\s]+$/i.test(rawUrl) && rawUrl.length < 2048 ? rawUrl : undefined;
  const instructions = query.getChildText('instructions')?.slice(0, 4096) ?? undefined;
  const common = { ...(instructions === undefined ? {} : { instructions }), ...(url === undefined ? {} : { url }) };
  if (x !== undefined) {
    const dataForm = parseDataForm(x, bob);
    const captcha = isCaptcha(dataForm);
    const askedFor = dataForm.fields.filter((f) => f.type !== 'hidden' && f.type !== 'fixed');
    const simple = !captcha && askedFor.every((f) => SIMPLE_FIELDS.has(f.var) || !f.required);
    const media = dataForm.fields.flatMap((f) => f.media);
    return { dataForm, form: { ...common, fields: dataForm.fields, captcha, media }, simple };
  }
  const legacy = query.getChildElements().filter((c) => c.getNS() === NS_REGISTER && !['instructions', 'registered'].includes(c.name));
  const fields: FormField[] = legacy.map((c) => ({
    var: c.name,
    type: c.name === 'password' ? 'text-private' : 'text-single',
    required: true,
    values: [],
    options: [],
    media: [],
  }));
  const simple = fields.every((f) => SIMPLE_FIELDS.has(f.var)) && url === undefined;
  return { form: { ...common, fields, captcha: false, media: [] }, simple };
}

function registrationRequest(domain: string, parsed: ParsedForm, values: FormValues): Element {
  if (parsed.dataForm !== undefined) {
    return xml('iq', { type: 'set', to: domain }, xml('query', { xmlns: NS_REGISTER }, submitDataForm(parsed.dataForm, values)));
  }
  const children = parsed.form.fields.map((f) => {
    const v = values[f.var];
    return xml(f.var, {}, typeof v === 'string' ? v : (v?.[0] ?? ''));
  });
  return xml('iq', { type: 'set', to: domain }, xml('query', { xmlns: NS_REGISTER }, ...children));
}

function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void } {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}

class RegistrationSession {
  private readonly client: Client;
  private readonly timeoutMs: number;
  private next = deferred<RegistrationOutcome>();
  private answer = deferred<Answer>();
  private username: string | undefined;
  private password: string | undefined;

  constructor(private readonly opts: RegisterOptions) {
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.username = opts.username;
    this.password = opts.password;
    this.client = xmppClient({
      service: serviceUri(opts.server),
      domain: opts.domain,
      credentials: (authenticate, mechanisms, _fast, entity) => this.onCredentials(authenticate, mechanisms, entity),
    });
    this.client.timeout = Math.min(this.timeoutMs, 10_000);
    this.client.on('error', () => undefined); // reported through start()'s rejection
    this.client.reconnect.stop();
    useTransport(this.client, { createSocket: transportSocket(opts), timeoutMs: this.timeoutMs, ...(opts.ca === undefined ? {} : { ca: opts.ca }) });
  }

  begin(): Promise<RegistrationOutcome> {
    const budget = this.timeoutMs * 3 + (this.opts.inputTimeoutMs ?? 5 * 60_000);
    withTimeout(this.client.start(), budget, 'registering').then(
      async () => {
        await this.close();
        this.next.resolve({ status: 'registered', jid: `${this.username ?? ''}@${this.opts.domain}`.toLowerCase() });
      },
      async (err: unknown) => {
        await this.close();
        this.next.reject(
          err instanceof RegistrationError || err instanceof XmppAccountError
            ? err
            : err instanceof CoveError && err.code === 'xmpp-timeout'
              ? err
              : new XmppAccountError(classifyFailure(err), { cause: err }),
        );
      },
    );
    return this.next.promise;
  }

  private async onCredentials(
    authenticate: (c: { username: string; password: string }, m: string) => Promise<void>,
    mechanisms: string[],
    entity: Client,
  ): Promise<void> {
    requireTls(entity);
    let formIq: Element;
    try {
      formIq = await entity.iqCaller.request(xml('iq', { type: 'get', to: this.opts.domain }, xml('query', { xmlns: NS_REGISTER })), this.timeoutMs);
    } catch (err) {
      throw toRegistrationError(err);
    }
    const parsed = parseRegistrationQuery(formIq);
    let values: FormValues = {
      ...(this.username === undefined ? {} : { username: this.username }),
      ...(this.password === undefined ? {} : { password: this.password }),
    };
    if (!parsed.simple || this.username === undefined || this.password === undefined) {
      const answer = await this.ask(parsed.form, values);
      if (answer.kind === 'cancel') throw new RegistrationError('cancelled');
      values = { ...values, ...answer.values };
      const u = values.username;
      const p = values.password;
      if (typeof u === 'string') this.username = u;
      if (typeof p === 'string') this.password = p;
    }
    if (this.username === undefined || this.password === undefined) throw new RegistrationError('not-acceptable');
    try {
      await entity.iqCaller.request(registrationRequest(this.opts.domain, parsed, values), this.timeoutMs);
    } catch (err) {
      // A new attempt (another name, a new CAPTCHA) needs a new form: the caller calls register() again.
      throw toRegistrationError(err);
    }
    await authenticate({ username: this.username, password: this.password }, pickMechanism(mechanisms));
  }

  /** Hands the form to the caller and waits (bounded) for submit() or cancel(). */
  private async ask(form: RegistrationForm, filled: FormValues): Promise<Answer> {
    const fields = form.fields.map((f) => {
      const v = filled[f.var];
      return v === undefined || f.type === 'hidden' || f.type === 'text-private' ? f : { ...f, values: typeof v === 'string' ? [v] : [...v] };
    });
    this.answer = deferred<Answer>();
    const current = this.next;
    this.next = deferred<RegistrationOutcome>();
    current.resolve({
      status: 'needs-input',
      form: { ...form, fields },
      submit: (values) => {
        this.answer.resolve({ kind: 'submit', values });
        return this.next.promise;
      },
      cancel: async () => {
        this.answer.resolve({ kind: 'cancel' });
        await this.next.promise.catch(() => undefined);
      },
    });
    return withTimeout(this.answer.promise, this.opts.inputTimeoutMs ?? 5 * 60_000, 'waiting for the sign-up form');
  }

  private async close(): Promise<void> {
    await closeClient(this.client);
  }
}

/** Registers an account (see the top of this file); rejects with RegistrationError or XmppAccountError. */
export async function register(options: RegisterOptions): Promise<RegistrationOutcome> {
  return new RegistrationSession(options).begin();
}
