/**
 * Accessible names and a live region for the shrinkviz explorers, where ipywidgets 8 gives
 * none: a slider's handle (noUiSlider, role="slider") is named after its description, Play's
 * icon buttons say what they do to which slider (the icons themselves are hidden), a slider's readout where a value can be typed is a named
 * text box, the explorer's text alternative (`.shrinkviz-live`, an HTML
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

/** The label of the first slider in the nearest box around `el` inside its explorer. */
function sliderNear(el: Element | null): string {
  for (let box = el?.parentElement; box; box = box.parentElement) {
    if (box.classList.contains('shrinkviz-explorer')) {
      break;
    }
    const slider = box.querySelector('.widget-slider');
    if (slider) {
      return labelOf(slider);
    }
  }
  return '';
}

/** Name what needs a name inside `root` (idempotent: named elements are skipped). */
export function label(root: ParentNode): void {
  root.querySelectorAll('.shrinkviz-explorer .noUi-handle:not([aria-label])').forEach(handle => {
    const name = labelOf(handle.closest('.widget-slider'));
    if (name) {
      handle.setAttribute('aria-label', name);
    }
  });
  // a disabled slider (ipywidgets sets `disabled` on noUiSlider's target only) keeps its
  // handle in the Tab order, where the keys do nothing: it says that it is disabled
  root.querySelectorAll('.shrinkviz-explorer .noUi-handle').forEach(handle => {
    const off = handle.closest('.noUi-target[disabled]') !== null;
    if (off && handle.getAttribute('aria-disabled') !== 'true') {
      handle.setAttribute('aria-disabled', 'true');
    } else if (!off && handle.hasAttribute('aria-disabled')) {
      handle.removeAttribute('aria-disabled');
    }
  });
  // a slider's readout where a value can be typed (a contenteditable div, as n_j's) is a
  // text box of its own in the Tab order: it says whose value it is
  root
    .querySelectorAll('.shrinkviz-explorer .widget-readout:not([aria-label])')
    .forEach(readout => {
      const name = labelOf(readout.closest('.widget-slider'));
      if (name) {
        readout.setAttribute('role', 'textbox');
        readout.setAttribute('aria-label', `${name}: type a value`);
      }
    });
  // a button's Font Awesome icon is decoration: its glyph (a private-use character) would
  // open the button's accessible name ("\uf05b fit τ² (REML)")
  root
    .querySelectorAll('.shrinkviz-explorer button > i.fa:not([aria-hidden])')
    .forEach(icon => icon.setAttribute('aria-hidden', 'true'));
  root.querySelectorAll('.shrinkviz-explorer .widget-play > button').forEach(button => {
    const icon = Array.from(button.querySelector('i')?.classList ?? []).find(c => c in ICONS);
    const what = icon ? ICONS[icon] : '';
    // ipywidgets 8 draws neither Play's description nor its tooltip: its buttons are named
    // after the slider that Play sweeps (the nearest one around it)
    const slider = sliderNear(button.parentElement);
    const name = what && slider ? `${what} the sweep of ${slider}` : what;
    if (name && button.getAttribute('aria-label') !== name) {
      button.setAttribute('aria-label', name);
    }
  });
  // keys go to the control, not to the notebook (Lumino stops at this attribute: ArrowDown
  // in a focused group selector would otherwise move to the next cell, and ArrowLeft on a
  // slider handle collapse the heading above and take the focus, as in Jupyter Notebook 7)
  root
    .querySelectorAll(
      '.shrinkviz-explorer :is(select, input, .noUi-handle, .widget-readout)' +
        ':not([data-lm-suppress-shortcuts])'
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

/** Keep naming explorers as they are rendered (and Play's icon changes play/pause, a slider
 * is disabled or enabled). */
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
    attributeFilter: ['class', 'disabled']
  });
  label(doc);
  return observer;
}
