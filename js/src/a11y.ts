/**
 * Accessible names and a live region for the shrinkviz explorers, where ipywidgets 8 gives
 * none: a slider's handle (noUiSlider, role="slider") is named after its description, Play's
 * icon buttons say what they do, the explorer's text alternative (`.shrinkviz-live`, an HTML
 * widget whose content the kernel rewrites after a move) becomes a polite live region on its
 * persistent content element, so that a screen reader announces each new text, and the keys
 * pressed in a selector, a checkbox or on a slider handle stay there (no notebook shortcut).
 */

const ICONS: Record<string, string> = {
  'fa-play': 'play',
  'fa-pause': 'pause',
  'fa-stop': 'stop',
  'fa-retweet': 'repeat'
};

function labelOf(el: Element | null): string {
  const label = el?.querySelector(':scope > .widget-label');
  return label?.textContent?.trim() ?? '';
}

/** Name what needs a name inside `root` (idempotent: named elements are skipped). */
export function label(root: ParentNode): void {
  root.querySelectorAll('.shrinkviz-explorer .noUi-handle:not([aria-label])').forEach(handle => {
    const name = labelOf(handle.closest('.widget-slider'));
    if (name) {
      handle.setAttribute('aria-label', name);
    }
  });
  root.querySelectorAll('.shrinkviz-explorer .widget-play > button').forEach(button => {
    const icon = Array.from(button.querySelector('i')?.classList ?? []).find(c => c in ICONS);
    const what = icon ? ICONS[icon] : '';
    const name = [what, labelOf(button.parentElement)].filter(Boolean).join(': ');
    if (name && button.getAttribute('aria-label') !== name) {
      button.setAttribute('aria-label', name);
    }
  });
  // keys go to the control, not to the notebook (Lumino stops at this attribute: ArrowDown
  // in a focused group selector would otherwise move to the next cell, and ArrowLeft on a
  // slider handle collapse the heading above and take the focus, as in Jupyter Notebook 7)
  root
    .querySelectorAll(
      '.shrinkviz-explorer :is(select, input, .noUi-handle):not([data-lm-suppress-shortcuts])'
    )
    .forEach(control => control.setAttribute('data-lm-suppress-shortcuts', 'true'));
  root
    .querySelectorAll('.shrinkviz-live > .widget-html-content:not([aria-live])')
    .forEach(region => {
      region.setAttribute('role', 'status');
      region.setAttribute('aria-live', 'polite');
      region.setAttribute('aria-atomic', 'true');
    });
}

/** Keep naming explorers as they are rendered (and Play's icon changes play/pause). */
export function watch(doc: Document = document): MutationObserver {
  let pending = false;
  const observer = new MutationObserver(() => {
    if (!pending) {
      pending = true;
      requestAnimationFrame(() => {
        pending = false;
        label(doc);
      });
    }
  });
  observer.observe(doc.body, {
    childList: true,
    subtree: true,
    attributes: true,
    attributeFilter: ['class']
  });
  label(doc);
  return observer;
}
