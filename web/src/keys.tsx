/** The `?` dialog: every key the page answers to. */
import { useEffect, useRef } from 'preact/hooks';

export function KeysDialog(props: {
  open: boolean;
  keys: [string, string][];
  onClose: () => void;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (props.open && !dialog.open) dialog.showModal();
    if (!props.open && dialog.open) dialog.close();
  }, [props.open]);
  return (
    <dialog ref={ref} class="keys" aria-labelledby="keys-title" onClose={props.onClose}>
      <h2 id="keys-title">Keyboard</h2>
      <dl>
        {props.keys.map(([key, what]) => (
          <div key={key} class="key-row">
            <dt>
              <kbd>{key}</kbd>
            </dt>
            <dd>{what}</dd>
          </div>
        ))}
      </dl>
      <button type="button" onClick={props.onClose}>
        Close
      </button>
    </dialog>
  );
}
