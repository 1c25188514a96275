import { html, nothing } from 'lit';
import { api, parseLabels, type Hit, type ImageInfo, type Info, type LabelScore } from './api.js';
import { LightElement } from './light-element.js';
import { href } from './router.js';
import './label-bars.js';
import './result-grid.js';

function bytes(n?: number): string {
  if (n === undefined) return '';
  return n < 1024 * 1024 ? `${(n / 1024).toFixed(0)} KB` : `${(n / 1024 / 1024).toFixed(1)} MB`;
}

/** One library image: large preview, metadata, labels, caption and heatmap when the server has them, similar images. */
export class DetailView extends LightElement {
  static override properties = {
    imageId: { attribute: 'image-id' }, info: { attribute: false },
    meta: { state: true }, similar: { state: true }, labels: { state: true }, caption: { state: true }, heat: { state: true }, status: { state: true },
  };
  imageId = '';
  info?: Info;
  meta?: ImageInfo;
  similar: Hit[] = [];
  labels: LabelScore[] = [];
  caption = '';
  heat = '';
  status = '';

  override updated(changed: Map<string, unknown>): void {
    if (changed.has('imageId') && this.imageId) void this.load();
  }

  private async load(): Promise<void> {
    const id = this.imageId;
    this.meta = undefined;
    this.similar = [];
    this.labels = [];
    this.caption = '';
    this.heat = '';
    this.status = 'Loading…';
    try {
      const [meta, similar] = await Promise.all([api.imageInfo(id), api.similar(id, 12)]);
      if (id !== this.imageId) return;
      this.meta = meta;
      this.similar = similar.results;
      this.status = '';
      this.querySelector<HTMLElement>('h2')?.focus();
      if (this.info?.features.caption) this.caption = (await api.caption(id)).caption;
    } catch (err) {
      this.status = `Could not load this image: ${(err as Error).message}`;
    }
  }

  private async classify(e: Event): Promise<void> {
    e.preventDefault();
    const labels = parseLabels(this.querySelector<HTMLInputElement>('#detail-labels')!.value);
    if (labels.length < 2) {
      this.status = 'Type at least two labels, separated by commas.';
      return;
    }
    try {
      this.labels = (await api.classifyId(this.imageId, labels)).labels;
      this.status = '';
    } catch (err) {
      this.status = (err as Error).message;
    }
  }

  private async explain(e: Event): Promise<void> {
    e.preventDefault();
    const text = this.querySelector<HTMLInputElement>('#explain-text')!.value.trim();
    if (!text) return;
    try {
      this.heat = await api.explainPng(this.imageId, text);
    } catch (err) {
      this.status = (err as Error).message;
    }
  }

  override render() {
    const m = this.meta;
    const f = this.info?.features;
    return html`<article class="detail">
      <p><a href="#/">← Back to search</a></p>
      <p class="status" role="status" aria-live="polite">${this.status}</p>
      ${m ? html`
        <h2 tabindex="-1">${m.path}</h2>
        <div class="detail-body">
          <figure>
            <img src=${this.heat || m.urls.preview} alt=${this.heat ? `Heatmap over ${m.path}` : m.path} />
            ${this.caption ? html`<figcaption class="caption">${this.caption}</figcaption>` : nothing}
          </figure>
          <div class="side">
            <dl class="facts">
              <dt>Size</dt><dd>${m.width} × ${m.height} px, ${m.format}, ${bytes(m.size)}</dd>
              ${m.date ? html`<dt>Date</dt><dd>${new Date(m.date).toLocaleString()} ${m.dateSource === 'file' ? '(file time)' : ''}</dd>` : nothing}
              ${m.camera ? html`<dt>Camera</dt><dd>${m.camera}</dd>` : nothing}
              ${m.gps ? html`<dt>Place</dt><dd>${m.gps.lat.toFixed(4)}, ${m.gps.lon.toFixed(4)}</dd>` : nothing}
              ${m.paths.length > 1 ? html`<dt>Copies</dt><dd>${m.paths.join(', ')}</dd>` : nothing}
            </dl>
            <p><a href=${m.urls.original} target="_blank" rel="noopener">Open the original</a> · <a href=${href.like(m.id)}>More like this</a></p>
            <form @submit=${this.classify} class="classify">
              <label for="detail-labels">Classify against labels</label>
              <input id="detail-labels" value="dog, cat, horse, person, food, sky" autocomplete="off" />
              <button type="submit">Classify</button>
            </form>
            <vlm-labels .labels=${this.labels}></vlm-labels>
            ${f?.explain ? html`<form @submit=${this.explain} class="classify">
              <label for="explain-text">Why does it match…</label>
              <input id="explain-text" placeholder="a dog" />
              <button type="submit">Show heatmap</button>
            </form>` : html`<p class="muted">Captions and heatmaps appear here once this server has them.</p>`}
          </div>
        </div>
        <h3>Similar images</h3>
        <vlm-results .hits=${this.similar} label="Similar images"></vlm-results>` : nothing}
    </article>`;
  }
}
customElements.define('vlm-detail', DetailView);
