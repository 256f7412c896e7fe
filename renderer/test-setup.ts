// Component tests: unmount what each test rendered (testing-library does this itself only with vitest globals on).
import { cleanup } from '@testing-library/react';
import { afterEach } from 'vitest';

afterEach(() => {
  cleanup();
});
