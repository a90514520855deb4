import { label } from '../a11y';

/** An explorer as ipywidgets 8 renders it: an IntSlider with its typed readout, Play, the
 * live region (the markup of @jupyter-widgets/controls, trimmed to what a11y.ts reads). */
function explorer(): HTMLElement {
  const root = document.createElement('div');
  root.innerHTML = `
    <div class="shrinkviz-explorer">
      <div class="widget-slider widget-hslider shrinkviz-n">
        <label class="widget-label">rows used n_j</label>
        <div class="slider-container"><div class="noUi-target">
          <div class="noUi-handle" role="slider" tabindex="0"></div></div></div>
        <div class="widget-readout" contenteditable="true">2</div>
      </div>
      <div class="shrinkviz-tau2-box">
        <div class="widget-slider"><label class="widget-label">τ² (tau2)</label></div>
        <div class="row"><label class="widget-label">play</label>
          <div class="widget-play shrinkviz-play">
            <button><i class="fa fa-play"></i></button><button><i class="fa fa-stop"></i></button>
          </div></div>
      </div>
      <button class="shrinkviz-fit"><i class="fa fa-crosshairs"></i>fit τ² (REML)</button>
      <div class="shrinkviz-live"><div class="widget-html-content"></div></div>
    </div>`;
  document.body.appendChild(root);
  return root;
}

describe('label', () => {
  it('names handles, typed readouts and Play, hides icons and makes the live region polite', () => {
    const root = explorer();
    label(root);
    const handle = root.querySelector('.noUi-handle')!;
    expect(handle.getAttribute('aria-label')).toBe('rows used n_j');
    const readout = root.querySelector('.widget-readout')!;
    expect(readout.getAttribute('role')).toBe('textbox');
    expect(readout.getAttribute('aria-label')).toBe('rows used n_j: type a value');
    expect(readout.getAttribute('data-lm-suppress-shortcuts')).toBe('true');
    expect(handle.getAttribute('data-lm-suppress-shortcuts')).toBe('true');
    const names = Array.from(root.querySelectorAll('.widget-play > button'), b =>
      b.getAttribute('aria-label')
    );
    expect(names).toEqual(['play the sweep of τ² (tau2)', 'stop the sweep of τ² (tau2)']);
    const icons = Array.from(root.querySelectorAll('button > i'), i =>
      i.getAttribute('aria-hidden')
    );
    expect(icons).toEqual(['true', 'true', 'true']);
    const live = root.querySelector('.shrinkviz-live > .widget-html-content')!;
    expect(live.getAttribute('aria-live')).toBe('polite');
    expect(live.getAttribute('role')).toBe('status');
    label(root); // idempotent
    expect(readout.getAttribute('aria-label')).toBe('rows used n_j: type a value');
  });

  it('says that a disabled slider is disabled, and no more once it is enabled', () => {
    const root = explorer();
    const target = root.querySelector('.noUi-target')!;
    target.setAttribute('disabled', 'true');
    label(root);
    const handle = root.querySelector('.noUi-handle')!;
    expect(handle.getAttribute('aria-disabled')).toBe('true');
    target.removeAttribute('disabled');
    label(root);
    expect(handle.hasAttribute('aria-disabled')).toBe(false);
  });

  it('leaves a readout outside an explorer alone', () => {
    const root = document.createElement('div');
    root.innerHTML = `<div class="widget-slider"><label class="widget-label">x</label>
      <div class="widget-readout" contenteditable="true">1</div></div>`;
    label(root);
    expect(root.querySelector('.widget-readout')!.hasAttribute('aria-label')).toBe(false);
  });
});
