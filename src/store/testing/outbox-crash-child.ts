/**
 * The child process of outbox-crash.test.ts: a sender that enqueues and "sends" messages in an endless loop until the
 * test kills it with SIGKILL. Run as `node --import tsx outbox-crash-child.ts <sender.db> <receiver.db>`; both are
 * passphrase profiles (passphrase in COVE_TEST_PASSPHRASE) with one account and one conversation each.
 *
 * The wire is the receiver's store: "sending" a message inserts it there under its id (dedupe by id, as a real
 * receiver does). The server's XEP-0198 acks lag three messages behind, so at any moment a few messages are sent but
 * not acked. On start the child first sends what the outbox offers again (the unacked messages of the run it
 * replaces), then goes on with new ones, numbered on from the messages already stored.
 *
 * Each step is printed on stdout after it is committed (a pipe's writes are synchronous on Linux):
 *   R <n>   requeued on open      E <id>  enqueued      S <id>  sent (stored by the receiver)
 *   D <id>  the receiver already had it (a resend)      A <id>  acked
 */
import { openProfile, type Store } from '../profile';

const [senderPath, receiverPath] = process.argv.slice(2);
const passphrase = process.env.COVE_TEST_PASSPHRASE;
if (senderPath === undefined || receiverPath === undefined || passphrase === undefined) {
  console.error('usage: COVE_TEST_PASSPHRASE=… outbox-crash-child.ts <sender.db> <receiver.db>');
  process.exit(2);
}

const print = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

const sender: Store = await openProfile(senderPath, { kind: 'passphrase', passphrase });
const receiver: Store = await openProfile(receiverPath, { kind: 'passphrase', passphrase });
print(`R ${sender.requeuedOnOpen}`);
const [senderConv] = sender.conversations.list(1);
const [receiverConv] = receiver.conversations.list(1);
if (senderConv === undefined || receiverConv === undefined) throw new Error('the test did not set up the conversations');

let next = sender.messages.count(senderConv.id);
const inFlight: { conversationId: number; id: string }[] = [];
const ACK_LAG = 3;

for (;;) {
  const queued = sender.outbox.enqueue({ conversationId: senderConv.id, id: `m-${next}`, body: `message number ${next}`, encrypted: true });
  print(`E ${queued.id}`);
  next += 1;
  for (let m = sender.outbox.nextToSend(); m !== undefined; m = sender.outbox.nextToSend()) {
    const { inserted } = receiver.messages.insert({ conversationId: receiverConv.id, id: m.id, direction: 'in', body: m.body, time: m.time, encrypted: true });
    if (!inserted) print(`D ${m.id}`);
    sender.outbox.markSent(m);
    print(`S ${m.id}`);
    inFlight.push(m);
  }
  while (inFlight.length > ACK_LAG) {
    const m = inFlight.shift();
    if (m === undefined) break;
    sender.outbox.markAcked(m);
    print(`A ${m.id}`);
  }
  // Let the event loop breathe (stdout, signals) without slowing the loop down much.
  if (next % 16 === 0) await new Promise<void>((resolve) => setImmediate(resolve));
}
