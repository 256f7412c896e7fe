import { act, render, screen } from '@testing-library/react';
import { expect, it } from 'vitest';
import { installFakeCove } from '../test-utils/fake-cove';
import { account } from '../test-utils/fixtures';
import { ConnectionBanner } from './ConnectionBanner';

it('shows why an account is not connected, and goes away when it is back', async () => {
  const cove = installFakeCove({ accounts: () => [account({ id: 1, jid: 'ada@beta.example', state: 'online' })] });
  render(<ConnectionBanner />);
  await act(async () => {
    await Promise.resolve();
  });
  expect(screen.queryByRole('alert')).toBeNull();
  act(() => {
    cove.emit({ type: 'account', account: account({ id: 1, jid: 'ada@beta.example', state: 'error', error: { code: 'transport-down', message: 'The SOCKS5 proxy does not answer.' } }) });
  });
  const alert = screen.getByRole('alert');
  expect(alert.textContent).toContain('ada@beta.example is not connected.');
  expect(alert.textContent).toContain('The SOCKS5 proxy does not answer.');
  expect(alert.textContent).toContain('wait in the outbox');
  act(() => {
    cove.emit({ type: 'account', account: account({ id: 1, jid: 'ada@beta.example', state: 'online' }) });
  });
  expect(screen.queryByRole('alert')).toBeNull();
});
