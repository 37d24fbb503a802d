// Small DOM builders for the panel. Children given as strings become text nodes, never HTML, and
// nothing sets a style attribute (the CSP forbids inline styles).

export type Child = Node | string | null | undefined | false;
export type Attributes = Record<string, string | number | boolean | undefined>;

/** An element with attributes (true means present, false or undefined absent) and children. */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, attributes: Attributes = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === false) continue;
    element.setAttribute(name, value === true ? '' : String(value));
  }
  append(element, ...children);
  return element;
}

export function append(parent: Node, ...children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(typeof child === 'string' ? document.createTextNode(child) : child);
  }
}

export function button(label: string, onClick: () => void, attributes: Attributes = {}): HTMLButtonElement {
  const element = el('button', { type: 'button', ...attributes }, label);
  element.addEventListener('click', onClick);
  return element;
}

let nextId = 0;
export function uniqueId(prefix: string): string {
  nextId += 1;
  return `${prefix}-${nextId}`;
}

/** A <dl> of label/value rows; rows without a value are left out. */
export function definitionList(attributes: Attributes, rows: [string, Child][]): HTMLDListElement {
  const list = el('dl', attributes);
  for (const [term, value] of rows) {
    if (value === undefined || value === null || value === false) continue;
    append(list, el('div', { class: 'row' }, el('dt', {}, term), el('dd', {}, value)));
  }
  return list;
}

/** Re-renders `container` and puts keyboard focus back on the equivalent control if it was inside. */
export function keepingFocus(container: HTMLElement, render: () => void): void {
  const active = document.activeElement;
  const key = active instanceof HTMLElement && container.contains(active) ? active.dataset['focusKey'] : undefined;
  render();
  if (key === undefined) return;
  for (const candidate of container.querySelectorAll<HTMLElement>('[data-focus-key]')) {
    if (candidate.dataset['focusKey'] === key) {
      candidate.focus();
      return;
    }
  }
}

