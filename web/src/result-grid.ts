import { html, nothing } from 'lit';
import type { Hit } from './api.js';
import { LightElement } from './light-element.js';
import { href } from './router.js';

/** A grid of library images with their similarity scores; each opens its detail page or finds more like it. */
export class ResultGrid extends LightElement {
  static override properties = { hits: { attribute: false }, label: {} };
  hits: Hit[] = [];
  label = 'Results';

  override render() {
    if (!this.hits.length) return nothing;
    return html`<ul class="grid" aria-label=${this.label}>
      ${this.hits.map((h) => html`<li class="card" data-id=${h.id}>
        <a href=${href.image(h.id)} class="thumb" aria-label=${`Open ${h.path}, score ${h.score.toFixed(3)}`}>
          <img src=${`/v1/images/${h.id}?size=256`} alt=${h.path} loading="lazy" width="256" height="192" />
        </a>
        <div class="meta">
          <span class="score" title="cosine similarity">${h.score.toFixed(3)}</span>
          <span class="path" title=${h.path}>${h.path}</span>
        </div>
        <a class="more" href=${href.like(h.id)}>More like this</a>
      </li>`)}
    </ul>`;
  }
}
customElements.define('vlm-results', ResultGrid);
