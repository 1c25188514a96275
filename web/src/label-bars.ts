import { html, nothing } from 'lit';
import type { LabelScore } from './api.js';
import { LightElement } from './light-element.js';

/** Classification scores as labelled bars (a list, so screen readers read "label, 87 percent"). */
export class LabelBars extends LightElement {
  static override properties = { labels: { attribute: false } };
  labels: LabelScore[] = [];

  override render() {
    if (!this.labels.length) return nothing;
    return html`<ol class="labels" aria-label="Labels, most likely first">
      ${this.labels.map((l) => html`<li>
        <span class="label">${l.label}</span>
        <span class="bar" aria-hidden="true"><span style=${`width:${(l.score * 100).toFixed(1)}%`}></span></span>
        <span class="pct">${(l.score * 100).toFixed(1)}%</span>
      </li>`)}
    </ol>`;
  }
}
customElements.define('vlm-labels', LabelBars);
