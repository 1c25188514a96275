import { html, nothing } from 'lit';
import { api, type Hit, type Info } from './api.js';
import { LightElement } from './light-element.js';
import { href, parseRoute, type Route } from './router.js';
import type { DropPanel } from './drop-panel.js';
import './drop-panel.js';
import './result-grid.js';
import './detail-view.js';
import './dupes-view.js';

const EXAMPLES = ['a dog', 'people flying kites on the beach', 'a cup of coffee', '一只猫', '一个人骑马'];

/** The app shell: search box, image drop panel, and the view the URL hash names. */
export class VlmApp extends LightElement {
  static override properties = { route: { state: true }, info: { state: true }, hits: { state: true }, status: { state: true }, busy: { state: true } };
  route: Route = parseRoute(location.hash);
  info?: Info;
  hits: Hit[] = [];
  status = '';
  busy = false;
  private seq = 0;

  override connectedCallback(): void {
    super.connectedCallback();
    window.addEventListener('hashchange', () => this.navigate());
    // an image dropped anywhere goes to the drop panel, instead of the browser opening it
    window.addEventListener('dragover', (e) => e.preventDefault());
    window.addEventListener('drop', (e) => {
      e.preventDefault();
      const f = e.dataTransfer?.files[0];
      if (f) this.querySelector<DropPanel>('vlm-drop')?.take(f);
    });
    void this.loadInfo();
    this.navigate();
  }

  private async loadInfo(): Promise<void> {
    try {
      this.info = await api.info();
      if (!this.info.ready) setTimeout(() => void this.loadInfo(), 2000); // first start: the gallery is being indexed
    } catch {
      this.status = 'The vlm server does not answer.';
    }
  }

  private navigate(): void {
    this.route = parseRoute(location.hash);
    const r = this.route;
    if (r.view === 'search' && r.q) void this.run(`Results for “${r.q}”`, () => api.search(r.q));
    else if (r.view === 'like') void this.run('More like this', () => api.recommend([r.id]));
    else if (r.view === 'search') {
      this.seq++; // an answer still on its way is no longer wanted
      this.hits = [];
      this.status = '';
    }
  }

  /** Runs a query; a slower earlier one never overwrites a newer answer. */
  private async run(title: string, query: () => Promise<{ results: Hit[] }>): Promise<void> {
    const n = ++this.seq;
    this.busy = true;
    this.status = 'Searching…';
    try {
      const { results } = await query();
      if (n !== this.seq) return;
      this.hits = results;
      this.status = `${title}: ${results.length} image${results.length === 1 ? '' : 's'}, most similar first.`;
    } catch (err) {
      if (n === this.seq) this.status = `Search failed: ${(err as Error).message}`;
    } finally {
      if (n === this.seq) this.busy = false;
    }
  }

  private onSubmit(e: Event): void {
    e.preventDefault();
    const q = this.querySelector<HTMLInputElement>('#q')!.value.trim();
    if (!q) return;
    const target = href.search(q);
    if (location.hash === target) this.navigate();
    else location.hash = target;
  }

  private onImageSearch(e: CustomEvent<{ file: File }>): void {
    if (this.route.view !== 'search') location.hash = '#/';
    void this.run(`Images like ${e.detail.file.name || 'yours'}`, () => api.searchImage(e.detail.file));
  }

  override render() {
    const r = this.route;
    const q = r.view === 'search' ? r.q : '';
    return html`
      <header>
        <h1><a href="#/">vlm</a></h1>
        <form role="search" @submit=${this.onSubmit}>
          <label for="q" class="visually-hidden">Search the photos in English or Chinese</label>
          <input id="q" type="search" name="q" .value=${q} placeholder="Describe a photo — “a dog on the beach”, “一只猫”" autocomplete="off" />
          <button type="submit" class="primary">Search</button>
        </form>
        <nav aria-label="Views">
          <a href="#/" aria-current=${r.view === 'search' ? 'page' : nothing}>Search</a>
          <a href=${href.dupes()} aria-current=${r.view === 'dupes' ? 'page' : nothing}>Duplicates</a>
          <a href="/docs">API</a>
        </nav>
      </header>
      <main id="main" tabindex="-1">
        ${this.info && !this.info.ready ? html`<p class="notice" role="status">Indexing the library: ${this.info.indexing?.images ?? 0} of ${this.info.indexing?.found ?? '…'} images so far.</p>` : nothing}
        ${r.view === 'image' ? html`<vlm-detail image-id=${r.id} .info=${this.info}></vlm-detail>`
          : r.view === 'dupes' ? html`<vlm-dupes .threshold=${r.threshold}></vlm-dupes>`
          : html`
            <vlm-drop @image-search=${this.onImageSearch}></vlm-drop>
            <p class="status" role="status" aria-live="polite" aria-busy=${this.busy ? 'true' : 'false'}>${this.status}</p>
            ${this.hits.length === 0 && r.view === 'search' && !q ? html`<p class="examples">Try:
              ${EXAMPLES.map((ex) => html`<a href=${href.search(ex)}>${ex}</a> `)}</p>` : nothing}
            <vlm-results .hits=${this.hits} label="Search results"></vlm-results>`}
      </main>
      <footer>${this.info ? html`Model <code>${this.info.model}</code> · ${this.info.images} images` : nothing}</footer>`;
  }
}
customElements.define('vlm-app', VlmApp);
