import { NodeType } from '@rrweb/types';
import type { ElementRef } from './types';

/** The attributes that name or identify an element; the rest (styles, data blobs) are dropped. */
const KEPT_ATTRIBUTES = new Set([
  'id',
  'class',
  'name',
  'type',
  'role',
  'href',
  'title',
  'alt',
  'placeholder',
  'aria-label',
  'aria-labelledby',
  'for',
  'value',
  'data-testid',
  'autocomplete',
  'contenteditable',
]);

const SKIPPED_TEXT_PARENTS = new Set(['script', 'style', 'noscript', 'template']);
const NAME_MAX = 60;
const TEXT_SCAN_MAX = 400;

export interface MirrorNode {
  id: number;
  type: NodeType;
  /** Lower-case tag for elements, '' otherwise. */
  tag: string;
  attrs: Record<string, string> | null;
  /** For text nodes. */
  text: string | null;
  parent: number;
  /**
   * Children as a linked list (a page of thousands of rows moves, inserts and removes them in
   * constant time each); `owner` is the node whose list this one is in, if any.
   */
  first: MirrorNode | null;
  last: MirrorNode | null;
  prev: MirrorNode | null;
  next: MirrorNode | null;
  owner: MirrorNode | null;
}

/** The serialized node shape rrweb writes (rrweb-snapshot's serializedNodeWithId), loosely. */
export interface SerializedNode {
  id: number;
  type: NodeType;
  tagName?: string;
  attributes?: Record<string, unknown>;
  textContent?: string;
  childNodes?: SerializedNode[];
}

function isMasked(value: string): boolean {
  return value.length > 0 && /^\*+$/.test(value);
}

function clean(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

function truncate(text: string, max = NAME_MAX): string {
  return text.length > max ? `${text.slice(0, max - 1).trimEnd()}…` : text;
}

/** rrweb numbers nodes 1, 2, 3…: an array indexed by id beats a Map; odd ids go to a Map. */
const DENSE_IDS = 1 << 22;

class NodeTable {
  private dense: (MirrorNode | undefined)[] = [];
  private sparse = new Map<number, MirrorNode>();
  size = 0;

  get(id: number): MirrorNode | undefined {
    return id >= 0 && id < DENSE_IDS && (id | 0) === id ? this.dense[id] : this.sparse.get(id);
  }

  set(id: number, node: MirrorNode): void {
    if (id >= 0 && id < DENSE_IDS && (id | 0) === id) {
      // Grow one slot at a time past the end so the array stays packed, not a dictionary.
      while (this.dense.length < id) this.dense.push(undefined);
      if (this.dense[id] === undefined) this.size++;
      this.dense[id] = node;
    } else {
      if (!this.sparse.has(id)) this.size++;
      this.sparse.set(id, node);
    }
  }

  delete(id: number): void {
    if (id >= 0 && id < DENSE_IDS && (id | 0) === id) {
      if (this.dense[id] !== undefined) this.size--;
      this.dense[id] = undefined;
    } else if (this.sparse.delete(id)) this.size--;
  }

  /** The first node, by id, that `test` accepts; a plain loop (no iterator objects). */
  find(test: (node: MirrorNode) => boolean): MirrorNode | undefined {
    const dense = this.dense;
    for (let id = 0; id < dense.length; id++) {
      const node = dense[id];
      if (node !== undefined && test(node)) return node;
    }
    for (const node of this.sparse.values()) if (test(node)) return node;
    return undefined;
  }
}

/**
 * A lightweight mirror of the recorded page: which nodes exist, their parents, children, text
 * and naming attributes. Enough to say "the Save changes button", nothing more.
 */
export class DomMirror {
  private nodes = new NodeTable();
  /** Count of operations that referenced nodes we never saw (a real-world fact of life). */
  missing = 0;

  get size(): number {
    return this.nodes.size;
  }

  reset(): void {
    this.nodes = new NodeTable();
  }

  get(id: number): MirrorNode | undefined {
    return this.nodes.get(id);
  }

  /** Adds a serialized subtree under `parentId` (0 for a root), before `nextId` when given. */
  add(tree: SerializedNode, parentId: number, nextId: number | null = null): void {
    const parent = parentId ? this.nodes.get(parentId) : undefined;
    if (parentId && !parent) this.missing++;
    if (!tree || typeof tree.id !== 'number') return;
    this.place(tree, parentId, parent, nextId);
    // Mutations add mostly single nodes (rrweb lists each added node on its own): no stacks.
    const top = tree.childNodes;
    if (!Array.isArray(top) || !top.length) return;
    // Two parallel stacks rather than a pair per node: snapshots hold tens of thousands.
    const nodes: SerializedNode[] = [];
    const parents: number[] = [];
    for (let i = top.length - 1; i >= 0; i--) {
      nodes.push(top[i]);
      parents.push(tree.id);
    }
    while (nodes.length) {
      const node = nodes.pop()!;
      const parentOf = parents.pop()!;
      if (!node || typeof node.id !== 'number') continue;
      this.place(node, parentOf, this.nodes.get(parentOf), null);
      const children = node.childNodes;
      if (Array.isArray(children)) {
        for (let i = children.length - 1; i >= 0; i--) {
          nodes.push(children[i]);
          parents.push(node.id);
        }
      }
    }
  }

  /** One node into the mirror, last under its parent or before `nextId`. */
  private place(
    node: SerializedNode,
    parentOf: number,
    parentNode: MirrorNode | undefined,
    nextId: number | null,
  ): void {
    const existing = this.nodes.get(node.id);
    if (existing) this.detach(existing);
    const mirrorNode: MirrorNode = {
      id: node.id,
      type: node.type,
      tag:
        node.type === NodeType.Element && typeof node.tagName === 'string'
          ? node.tagName.toLowerCase()
          : '',
      attrs: node.attributes ? this.keep(node.attributes) : null,
      text:
        node.type === NodeType.Text && typeof node.textContent === 'string'
          ? node.textContent
          : null,
      parent: parentOf,
      first: null,
      last: null,
      prev: null,
      next: null,
      owner: null,
    };
    this.nodes.set(node.id, mirrorNode);
    // The parent looked up before this node replaced it (a node re-added under itself) is stale.
    const parent = parentNode && parentNode.id === node.id ? this.nodes.get(parentOf) : parentNode;
    if (parent) {
      const before = nextId ? this.nodes.get(nextId) : undefined;
      this.link(parent, mirrorNode, before?.owner === parent ? before : null);
    }
  }

  /** The children of a node, in order. */
  children(node: MirrorNode): MirrorNode[] {
    const out: MirrorNode[] = [];
    for (let child = node.first; child; child = child.next) out.push(child);
    return out;
  }

  remove(id: number): void {
    const node = this.nodes.get(id);
    if (!node) {
      this.missing++;
      return;
    }
    this.detach(node);
    const stack = [node];
    while (stack.length) {
      const current = stack.pop()!;
      this.nodes.delete(current.id);
      for (let child = current.first; child; child = child.next) stack.push(child);
    }
  }

  setText(id: number, value: string | null): void {
    const node = this.nodes.get(id);
    if (!node) {
      this.missing++;
      return;
    }
    node.text = value;
  }

  setAttributes(id: number, attributes: Record<string, unknown>): void {
    const node = this.nodes.get(id);
    if (!node) {
      this.missing++;
      return;
    }
    for (const [name, value] of Object.entries(attributes)) {
      if (!KEPT_ATTRIBUTES.has(name)) continue;
      node.attrs ??= {};
      if (value === null || value === undefined) delete node.attrs[name];
      else if (typeof value === 'string') node.attrs[name] = value;
    }
  }

  /** The element a person meant: the closest button, link or field around the clicked node. */
  interactiveAncestor(id: number): MirrorNode | undefined {
    let node = this.nodes.get(id);
    const clicked = node;
    for (let depth = 0; node && depth < 8; depth++) {
      if (node.type === NodeType.Element && this.isInteractive(node)) return node;
      node = this.nodes.get(node.parent);
    }
    let fallback = clicked;
    while (fallback && fallback.type !== NodeType.Element)
      fallback = this.nodes.get(fallback.parent);
    return fallback;
  }

  isFormField(node: MirrorNode): boolean {
    return (
      node.tag === 'input' ||
      node.tag === 'textarea' ||
      node.tag === 'select' ||
      node.tag === 'label' ||
      node.tag === 'option' ||
      node.attrs?.contenteditable === 'true' ||
      node.attrs?.contenteditable === ''
    );
  }

  role(node: MirrorNode): string {
    const explicit = node.attrs?.role;
    if (explicit) return explicit.split(/\s+/)[0];
    const type = (node.attrs?.type ?? '').toLowerCase();
    switch (node.tag) {
      case 'a':
        return node.attrs?.href !== undefined ? 'link' : 'element';
      case 'button':
        return 'button';
      case 'select':
        return 'combobox';
      case 'textarea':
        return 'textbox';
      case 'img':
        return 'image';
      case 'summary':
        return 'button';
      case 'option':
        return 'option';
      case 'input':
        if (type === 'checkbox' || type === 'radio') return type;
        if (type === 'button' || type === 'submit' || type === 'reset' || type === 'image')
          return 'button';
        if (type === 'range') return 'slider';
        return 'textbox';
      default:
        return node.attrs?.contenteditable !== undefined ? 'textbox' : 'element';
    }
  }

  /** Accessible name, as close to the browser's as a mirror allows; masked text never counts. */
  accessibleName(node: MirrorNode): string | null {
    const attrs = node.attrs ?? {};
    const candidates: (string | null | undefined)[] = [
      attrs['aria-label'],
      attrs['aria-labelledby'] ? this.labelledBy(attrs['aria-labelledby']) : null,
      this.isLabellable(node) ? this.labelFor(node) : null,
      node.tag === 'input' &&
      ['submit', 'button', 'reset'].includes((attrs.type ?? '').toLowerCase())
        ? attrs.value
        : null,
      this.isLabellable(node) ? null : this.ownText(node),
      attrs.title,
      attrs.alt,
      this.isLabellable(node) ? null : this.imageAlt(node),
      attrs.placeholder,
      attrs.name,
    ];
    for (const candidate of candidates) {
      if (!candidate) continue;
      const text = clean(candidate);
      if (text && !isMasked(text.replace(/\s/g, ''))) return truncate(text);
    }
    return null;
  }

  /**
   * Text that names the element: all of it for buttons and links; for anything else only when
   * short, since a container's text is the whole page.
   */
  private ownText(node: MirrorNode): string | null {
    const text = this.textContent(node);
    if (this.isInteractive(node)) return text;
    if (node.tag === 'body' || node.tag === 'html') return null;
    return text.length <= NAME_MAX ? text : null;
  }

  /** A short CSS path, stopping at the nearest ancestor with an id. */
  selector(node: MirrorNode): string {
    const parts: string[] = [];
    let current: MirrorNode | undefined = node;
    for (let depth = 0; current && current.type === NodeType.Element && depth < 4; depth++) {
      const id = current.attrs?.id;
      if (id && /^[A-Za-z][\w-]*$/.test(id)) {
        parts.unshift(`${current.tag}#${id}`);
        break;
      }
      let part = current.tag;
      const testId = current.attrs?.['data-testid'];
      if (testId) part += `[data-testid="${testId}"]`;
      else {
        const classes = (current.attrs?.class ?? '')
          .split(/\s+/)
          .filter((c) => /^[A-Za-z][\w-]*$/.test(c))
          .slice(0, 2);
        if (classes.length) part += `.${classes.join('.')}`;
        const parent = this.nodes.get(current.parent);
        if (parent) {
          let sameTag = 0;
          let position = 0;
          for (let child = parent.first; child; child = child.next) {
            if (child.tag !== current.tag) continue;
            sameTag++;
            if (child.id === current.id) position = sameTag;
          }
          if (sameTag > 1) part += `:nth-of-type(${position})`;
        }
      }
      parts.unshift(part);
      current = this.nodes.get(current.parent);
    }
    return parts.join(' > ');
  }

  describe(node: MirrorNode): ElementRef {
    const ref: ElementRef = {
      id: node.id,
      tag: node.tag,
      role: this.role(node),
      name: this.accessibleName(node),
      selector: this.selector(node),
    };
    if (node.tag === 'a' && node.attrs?.href) ref.href = node.attrs.href;
    return ref;
  }

  /** Text under a node, bounded, skipping scripts and styles. */
  textContent(node: MirrorNode): string {
    let out = '';
    const stack = [node];
    while (stack.length && out.length < TEXT_SCAN_MAX) {
      const current = stack.pop()!;
      if (current.type === NodeType.Text && current.text) out += ` ${current.text}`;
      if (SKIPPED_TEXT_PARENTS.has(current.tag)) continue;
      for (let child = current.last; child; child = child.prev) stack.push(child);
    }
    return clean(out);
  }

  private isInteractive(node: MirrorNode): boolean {
    switch (node.tag) {
      case 'a':
        return node.attrs?.href !== undefined;
      case 'button':
      case 'input':
      case 'select':
      case 'textarea':
      case 'summary':
      case 'label':
      case 'option':
        return true;
      default: {
        const role = node.attrs?.role;
        return (
          role !== undefined &&
          /^(button|link|menuitem|menuitemcheckbox|menuitemradio|tab|checkbox|radio|switch|option|treeitem)$/.test(
            role,
          )
        );
      }
    }
  }

  private isLabellable(node: MirrorNode): boolean {
    return node.tag === 'input' || node.tag === 'select' || node.tag === 'textarea';
  }

  private labelledBy(ids: string): string | null {
    const texts = ids
      .split(/\s+/)
      .map((id) => this.findByAttribute('id', id))
      .filter((n): n is MirrorNode => n !== undefined)
      .map((n) => this.textContent(n));
    return texts.join(' ') || null;
  }

  private labelFor(node: MirrorNode): string | null {
    const id = node.attrs?.id;
    if (id) {
      const label = this.findByAttribute('for', id, 'label');
      if (label) return this.textContent(label);
    }
    let ancestor = this.nodes.get(node.parent);
    for (let depth = 0; ancestor && depth < 6; depth++) {
      if (ancestor.tag === 'label') return this.textContent(ancestor);
      ancestor = this.nodes.get(ancestor.parent);
    }
    return null;
  }

  private imageAlt(node: MirrorNode): string | null {
    const stack = this.children(node);
    for (let seen = 0; stack.length && seen < 50; seen++) {
      const current = stack.pop()!;
      if (current.tag === 'img' && current.attrs?.alt) return current.attrs.alt;
      if (current.tag === 'svg' && current.attrs?.['aria-label'])
        return current.attrs['aria-label'];
      stack.push(...this.children(current));
    }
    return null;
  }

  /** Linear scan; only used to name the element of a click, so it runs a few times a recording. */
  private findByAttribute(name: string, value: string, tag?: string): MirrorNode | undefined {
    return this.nodes.find((node) => node.attrs?.[name] === value && (!tag || node.tag === tag));
  }

  private keep(attributes: Record<string, unknown>): Record<string, string> | null {
    let kept: Record<string, string> | null = null;
    for (const name in attributes) {
      if (!KEPT_ATTRIBUTES.has(name)) continue;
      const value = attributes[name];
      if (typeof value !== 'string') continue;
      kept ??= {};
      kept[name] = value;
    }
    return kept;
  }

  /** Takes a node out of its parent's list. */
  private detach(node: MirrorNode): void {
    const owner = node.owner;
    if (!owner) return;
    if (node.prev) node.prev.next = node.next;
    else owner.first = node.next;
    if (node.next) node.next.prev = node.prev;
    else owner.last = node.prev;
    node.prev = node.next = node.owner = null;
  }

  /** Puts a node in `parent`'s list, before `before` (one of its children) or last. */
  private link(parent: MirrorNode, node: MirrorNode, before: MirrorNode | null): void {
    node.owner = parent;
    if (before) {
      node.prev = before.prev;
      node.next = before;
      if (before.prev) before.prev.next = node;
      else parent.first = node;
      before.prev = node;
      return;
    }
    node.prev = parent.last;
    node.next = null;
    if (parent.last) parent.last.next = node;
    else parent.first = node;
    parent.last = node;
  }
}
