import { useEffect, useRef } from 'react';
import type { CoveEvent } from '../../src/api/contract';
import { api } from './api';

export type EventOf<T extends CoveEvent['type']> = Extract<CoveEvent, { type: T }>;

/** Subscribes a component to one kind of core event for as long as it is mounted (always the latest listener). */
export function useCoveEvent<T extends CoveEvent['type']>(type: T, listener: (event: EventOf<T>) => void): void {
  const latest = useRef(listener);
  latest.current = listener;
  useEffect(
    () =>
      api().subscribe((event) => {
        if (event.type === type) latest.current(event as EventOf<T>);
      }),
    [type],
  );
}
