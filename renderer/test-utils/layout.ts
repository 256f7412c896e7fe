/**
 * jsdom lays nothing out: every size is 0 and scrolling is a plain number. Virtualized lists need a viewport and row
 * heights, so this gives them a small, honest imitation of a browser's layout:
 *
 *   - elements matching `scroller` get a fixed viewport (clientWidth/clientHeight), a scrollHeight that is the tallest
 *     style height of their children (the virtualizer's sizer), a scrollTop clamped to what can be scrolled, and a
 *     scrollTo() that moves it and fires 'scroll' afterwards, as browsers do;
 *   - elements matching `row` get an offsetHeight from `rowHeight(element)` (e.g. from their text, like real rows).
 *
 * Everything else keeps jsdom's behaviour. `restore()` puts the prototypes back.
 */

export interface FakeLayoutOptions {
  scroller: string;
  viewport: { width: number; height: number };
  row: string;
  rowHeight: (row: HTMLElement) => number;
}

export interface FakeLayout {
  restore: () => void;
}

type Patch = [target: object, key: string, descriptor: PropertyDescriptor];

function original(target: object, key: string): PropertyDescriptor {
  const d = Object.getOwnPropertyDescriptor(target, key);
  if (d === undefined) throw new Error(`jsdom has no ${key} to imitate`);
  return d;
}

export function fakeLayout(options: FakeLayoutOptions): FakeLayout {
  const scrollTops = new WeakMap<Element, number>();
  const isScroller = (el: Element) => el.matches(options.scroller);
  const isRow = (el: Element) => el.matches(options.row);

  const elementProto = Element.prototype;
  const htmlProto = HTMLElement.prototype;
  const clientHeight = original(elementProto, 'clientHeight');
  const clientWidth = original(elementProto, 'clientWidth');
  const scrollHeight = original(elementProto, 'scrollHeight');
  const scrollTop = original(elementProto, 'scrollTop');
  const offsetHeight = original(htmlProto, 'offsetHeight');
  const offsetWidth = original(htmlProto, 'offsetWidth');
  const scrollToBefore = Object.getOwnPropertyDescriptor(elementProto, 'scrollTo');

  const contentHeight = (el: Element): number => {
    let tallest = 0;
    for (const child of el.children) {
      if (child instanceof HTMLElement) tallest = Math.max(tallest, Number.parseFloat(child.style.height) || 0);
    }
    return Math.max(tallest, options.viewport.height);
  };
  const maxScroll = (el: Element) => contentHeight(el) - options.viewport.height;
  const setTop = (el: Element, value: number) => {
    scrollTops.set(el, Math.min(Math.max(0, value), maxScroll(el)));
  };

  const patches: Patch[] = [
    [
      elementProto,
      'clientHeight',
      {
        configurable: true,
        get(this: Element) {
          return isScroller(this) ? options.viewport.height : (clientHeight.get?.call(this) as number);
        },
      },
    ],
    [
      elementProto,
      'clientWidth',
      {
        configurable: true,
        get(this: Element) {
          return isScroller(this) ? options.viewport.width : (clientWidth.get?.call(this) as number);
        },
      },
    ],
    [
      elementProto,
      'scrollHeight',
      {
        configurable: true,
        get(this: Element) {
          return isScroller(this) ? contentHeight(this) : (scrollHeight.get?.call(this) as number);
        },
      },
    ],
    [
      elementProto,
      'scrollTop',
      {
        configurable: true,
        get(this: Element) {
          return isScroller(this) ? Math.min(scrollTops.get(this) ?? 0, maxScroll(this)) : (scrollTop.get?.call(this) as number);
        },
        set(this: Element, value: number) {
          if (isScroller(this)) setTop(this, value);
          else scrollTop.set?.call(this, value);
        },
      },
    ],
    [
      elementProto,
      'scrollTo',
      {
        configurable: true,
        writable: true,
        value(this: Element, arg?: ScrollToOptions | number, y?: number) {
          if (!isScroller(this)) return;
          const top = typeof arg === 'number' ? y : arg?.top;
          if (top === undefined) return;
          const before = scrollTops.get(this) ?? 0;
          setTop(this, top);
          // Browsers fire 'scroll' after the position moved, not inside scrollTo().
          if (scrollTops.get(this) !== before) setTimeout(() => this.dispatchEvent(new Event('scroll')), 0);
        },
      },
    ],
    [
      htmlProto,
      'offsetHeight',
      {
        configurable: true,
        get(this: HTMLElement) {
          if (isRow(this)) return options.rowHeight(this);
          if (isScroller(this)) return options.viewport.height;
          return offsetHeight.get?.call(this) as number;
        },
      },
    ],
    [
      htmlProto,
      'offsetWidth',
      {
        configurable: true,
        get(this: HTMLElement) {
          return isRow(this) || isScroller(this) ? options.viewport.width : (offsetWidth.get?.call(this) as number);
        },
      },
    ],
  ];
  for (const [target, key, descriptor] of patches) Object.defineProperty(target, key, descriptor);

  return {
    restore: () => {
      Object.defineProperty(elementProto, 'clientHeight', clientHeight);
      Object.defineProperty(elementProto, 'clientWidth', clientWidth);
      Object.defineProperty(elementProto, 'scrollHeight', scrollHeight);
      Object.defineProperty(elementProto, 'scrollTop', scrollTop);
      Object.defineProperty(htmlProto, 'offsetHeight', offsetHeight);
      Object.defineProperty(htmlProto, 'offsetWidth', offsetWidth);
      if (scrollToBefore === undefined) Reflect.deleteProperty(elementProto, 'scrollTo');
      else Object.defineProperty(elementProto, 'scrollTo', scrollToBefore);
    },
  };
}
