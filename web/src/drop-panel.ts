import { html, nothing } from 'lit';
import { api, parseLabels, type LabelScore } from './api.js';
import { LightElement } from './light-element.js';
import './label-bars.js';

const DEFAULT_LABELS = 'dog, cat, horse, bird, person, car, food, building';

/**
 * Drop (or choose) an image, then search the library by it or classify it against labels you type.
 * Fires 'image-search' ({ file }) for the app to show results; classification is shown here.
 */
export class DropPanel extends LightElement {
  static override properties = { file: { state: true }, preview: { state: true }, labels: { state: true }, status: { state: true }, over: { state: true } };
  file?: File;
  preview?: string;
  labels: LabelScore[] = [];
  status = '';
  over = false;

  /** Takes a file from a drop anywhere on the page, too. */
  take(file: File): void {
    if (!file.type.startsWith('image/') && file.type !== '') {
      this.status = `${file.name} is not an image`;
      return;
    }
    if (this.preview) URL.revokeObjectURL(this.preview);
    this.file = file;
    this.preview = URL.createObjectURL(file);
    this.labels = [];
    this.status = `${file.name || 'image'} ready: search by it or classify it.`;
  }

  private onDrop(e: DragEvent): void {
    e.preventDefault();
    this.over = false;
    const f = e.dataTransfer?.files[0];
    if (f) this.take(f);
  }

  private onPick(e: Event): void {
    const f = (e.target as HTMLInputElement).files?.[0];
    if (f) this.take(f);
  }

  private search(): void {
    if (this.file) this.dispatchEvent(new CustomEvent('image-search', { detail: { file: this.file }, bubbles: true }));
  }

  private async classify(e: Event): Promise<void> {
    e.preventDefault();
    if (!this.file) return;
    const input = this.querySelector<HTMLInputElement>('#labels')!;
    const labels = parseLabels(input.value);
    if (labels.length < 2) {
      this.status = 'Type at least two labels, separated by commas.';
      input.focus();
      return;
    }
    this.status = 'Classifying…';
    try {
      this.labels = (await api.classifyFile(this.file, labels)).labels;
      this.status = `Most likely: ${this.labels[0].label} (${(this.labels[0].score * 100).toFixed(1)}%)`;
    } catch (err) {
      this.labels = [];
      this.status = `Could not classify: ${(err as Error).message}`;
    }
  }

  override render() {
    return html`<section class="drop ${this.over ? 'over' : ''}" aria-labelledby="drop-title"
        @dragover=${(e: DragEvent) => { e.preventDefault(); this.over = true; }}
        @dragleave=${() => (this.over = false)}
        @drop=${this.onDrop}>
      <h2 id="drop-title">Search or classify by image</h2>
      <p>Drop an image here, or
        <button type="button" @click=${() => this.querySelector<HTMLInputElement>('#file')!.click()}>choose an image…</button>
        <input id="file" type="file" accept="image/*" hidden @change=${this.onPick} />
      </p>
      ${this.file ? html`<div class="dropped">
        <img src=${this.preview!} alt=${`The image you chose: ${this.file.name}`} />
        <div class="actions">
          <button type="button" class="primary" @click=${this.search}>Search by this image</button>
          <form @submit=${this.classify} class="classify">
            <label for="labels">Labels (English or 中文, comma-separated)</label>
            <input id="labels" name="labels" .value=${DEFAULT_LABELS} autocomplete="off" />
            <button type="submit">Classify</button>
          </form>
          <vlm-labels .labels=${this.labels}></vlm-labels>
        </div>
      </div>` : nothing}
      <p class="status" role="status" aria-live="polite">${this.status}</p>
    </section>`;
  }
}
customElements.define('vlm-drop', DropPanel);
