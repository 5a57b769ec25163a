/**
 * Messages to the user: errors stay until dismissed (nothing is lost), confirmations fade.
 */
export interface Toast {
  id: number;
  kind: 'error' | 'info';
  text: string;
}

export class ToastState {
  list = $state<Toast[]>([]);
  private next = 1;

  /** Shows an error until the user closes it. */
  error(text: string): void {
    console.error(text);
    this.list.push({ id: this.next++, kind: 'error', text });
  }

  /** Shows a short confirmation for a few seconds. */
  info(text: string): void {
    const id = this.next++;
    this.list.push({ id, kind: 'info', text });
    setTimeout(() => this.dismiss(id), 4000);
  }

  dismiss(id: number): void {
    this.list = this.list.filter((t) => t.id !== id);
  }
}

/** The app's messages. */
export const toasts = new ToastState();
