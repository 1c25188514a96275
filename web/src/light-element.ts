import { LitElement } from 'lit';

/** Renders into the element itself (no shadow root): one global stylesheet styles the whole app. */
export class LightElement extends LitElement {
  protected override createRenderRoot(): HTMLElement {
    return this;
  }
}
