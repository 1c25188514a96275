import { html } from 'lit';
import { api, type DupeGroup } from './api.js';
import { LightElement } from './light-element.js';
import { href } from './router.js';

/** Groups of identical and near-identical images, the suggested keeper first. */
export class DupesView extends LightElement {
  static override properties = { threshold: { type: Number }, groups: { state: true }, status: { state: true } };
  /** near-copy cosine threshold from the route (#/dupes?threshold=0.99); the server's calibrated default otherwise */
  threshold?: number;
  groups: DupeGroup[] = [];
  status = 'Looking for duplicates…';

  override connectedCallback(): void {
    super.connectedCallback();
    void this.load();
  }

  private async load(): Promise<void> {
    try {
      const r = await api.dupes(this.threshold);
      this.groups = r.groups;
      this.status = r.groups.length ? `${r.groups.length} group(s) of duplicates among ${r.images} images.` : `No duplicates among ${r.images} images.`;
    } catch (err) {
      this.status = `Could not look for duplicates: ${(err as Error).message}`;
    }
  }

  override render() {
    return html`<section aria-labelledby="dupes-title">
      <h2 id="dupes-title">Duplicates</h2>
      <p class="status" role="status" aria-live="polite">${this.status}</p>
      ${this.groups.map((g, i) => html`<section class="dupe-group" aria-label=${`Group ${i + 1}: ${g.kind === 'exact' ? 'identical files' : 'near duplicates'}`}>
        <h3>${g.kind === 'exact' ? 'Identical files' : 'Near duplicates'} — keep ${g.keeper} <span class="muted">(${g.reason})</span></h3>
        <ul class="grid">${g.files.map((f, j) => html`<li class="card ${j === 0 ? 'keeper' : ''}">
          <a href=${href.image(f.id)} class="thumb"><img src=${`/v1/images/${f.id}?size=256`} alt=${f.path} loading="lazy" /></a>
          <div class="meta"><span class="score">${j === 0 ? 'keep' : f.similarity.toFixed(3)}</span><span class="path">${f.path}</span></div>
          <div class="muted small">${f.width} × ${f.height}</div>
        </li>`)}</ul>
      </section>`)}
    </section>`;
  }
}
customElements.define('vlm-dupes', DupesView);
