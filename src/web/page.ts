/**
 * The demo page: create an order, wait for its outcome with the same client a
 * shop would use, and show how long the wait took. In development a panel
 * replays real Stripe events at the order.
 *
 * A second tab opened on the same address (the order id is in its hash)
 * waits on the same order.
 */
import { WaitAbortedError, waitForOrder, type OrderOutcome } from '../client/index.js';

interface PageSession {
  token: string;
  development: boolean;
}

const stateView = element('state');
const orderView = element('order');
const devPanel = element('dev');
const replayedView = element('replayed');
let session: PageSession | undefined;
let currentWait: AbortController | undefined;

element('buy').addEventListener('click', () => void buy());
for (const button of document.querySelectorAll<HTMLButtonElement>('[data-replay]')) {
  button.addEventListener('click', () => void replay(button.dataset.replay ?? ''));
}
void start();

async function start(): Promise<void> {
  session = await openSession();
  devPanel.hidden = !session.development;
  if (session.token === '') {
    show('error', 'Open this page as /#token=<bearer token> to buy.');
    return;
  }

  const existing = new URLSearchParams(location.hash.slice(1)).get('order');
  if (existing !== null) {
    await wait(existing, 0);
  }
}

/**
 * Outside production, settle hands the page a demo user's token. In
 * production the token comes from the address: /#token=…
 */
async function openSession(): Promise<PageSession> {
  const response = await fetch('/dev/session', { method: 'POST' });
  if (response.ok) {
    return (await response.json()) as PageSession;
  }
  const token = new URLSearchParams(location.hash.slice(1)).get('token') ?? '';
  return { token, development: false };
}

async function buy(): Promise<void> {
  const order = await fetchJson<{ orderId: string; version: number }>('/orders', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...authorization() },
    body: JSON.stringify({ amount: 1999, currency: 'usd' }),
  });
  const hash = new URLSearchParams(location.hash.slice(1));
  hash.set('order', order.orderId);
  location.hash = hash.toString();
  await wait(order.orderId, order.version);
}

/**
 * Waits on one order, ending any earlier wait. After FAILED or ACTION_REQUIRED
 * it waits on: the customer may retry or confirm, and the next outcome
 * follows that version.
 */
async function wait(orderId: string, lastEventId: number): Promise<void> {
  currentWait?.abort();
  const controller = new AbortController();
  currentWait = controller;
  orderView.textContent = `Order ${orderId}`;
  const startedAt = performance.now();
  const ticker = setInterval(() => {
    show('waiting', `Waiting for payment… ${seconds(performance.now() - startedAt)} s`);
  }, 100);
  show('waiting', 'Waiting for payment…');

  let seen = lastEventId;
  try {
    for (;;) {
      const outcome: OrderOutcome = await waitForOrder(orderId, {
        baseUrl: location.origin,
        token: session?.token,
        signal: controller.signal,
        ...(seen > 0 ? { lastEventId: seen } : {}),
      });
      clearInterval(ticker);
      const waited = seconds(performance.now() - startedAt);
      const text = `${outcome.status} after ${waited} s (version ${outcome.version})`;
      if (outcome.status === 'ACTION_REQUIRED') {
        show(outcome.status, `${text}; confirm at ${outcome.actionUrl ?? '(no URL)'}`);
      } else if (outcome.status === 'FAILED') {
        show(outcome.status, `${text}; waiting for a retry`);
      } else {
        show(outcome.status, text);
        return;
      }
      seen = outcome.version;
    }
  } catch (error) {
    if (!(error instanceof WaitAbortedError)) {
      show('error', `Gave up: ${error instanceof Error ? error.message : String(error)}`);
    }
  } finally {
    clearInterval(ticker);
  }
}

async function replay(outcome: string): Promise<void> {
  const orderId = new URLSearchParams(location.hash.slice(1)).get('order');
  if (orderId === null) {
    replayedView.textContent = 'Buy first.';
    return;
  }
  const answer = await fetchJson<{ fixture: string; status: number; answer: string }>(
    '/dev/replay',
    {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...authorization() },
      body: JSON.stringify({ orderId, outcome }),
    },
  );
  const disposition =
    /"disposition":"(\w+)"/.exec(answer.answer)?.[1] ?? 'no disposition';
  const sent = `Sent ${answer.fixture}: webhook answered ${answer.status}`;
  replayedView.textContent = `${sent}, ${disposition}`;
}

function show(status: string, text: string): void {
  stateView.dataset.status = status;
  stateView.textContent = text;
}

function authorization(): Record<string, string> {
  return session === undefined ? {} : { Authorization: `Bearer ${session.token}` };
}

async function fetchJson<T>(path: string, init: RequestInit): Promise<T> {
  const response = await fetch(path, init);
  if (!response.ok) {
    throw new Error(`${path} answered ${response.status}`);
  }
  return (await response.json()) as T;
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(2);
}

function element(id: string): HTMLElement {
  const found = document.getElementById(id);
  if (found === null) {
    throw new Error(`the page has no #${id}`);
  }
  return found;
}
