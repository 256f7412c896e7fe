import { useId } from 'react';
import type { z } from 'zod';
import type { FormFieldViewSchema, RegistrationFormSchema } from '../../../src/api/contract';

export type RegistrationForm = z.infer<typeof RegistrationFormSchema>;
type Field = z.infer<typeof FormFieldViewSchema>;

/** The core fills these from the username and password the person typed; asking twice would confuse. */
const FILLED_BY_CORE = new Set(['username', 'password']);

function isHidden(f: Field): boolean {
  return f.type === 'hidden' || f.var === 'FORM_TYPE';
}

/** The fields a person has to see (not hidden, not username/password). An empty list means: no questions. */
export function visibleFields(form: RegistrationForm): Field[] {
  return form.fields.filter((f) => !isHidden(f) && !FILLED_BY_CORE.has(f.var));
}

/** Answers to start from: hidden fields keep their value (the CAPTCHA's challenge and sid), others their default. */
export function initialAnswers(form: RegistrationForm): Record<string, string> {
  const answers: Record<string, string> = {};
  for (const f of form.fields) {
    if (FILLED_BY_CORE.has(f.var) || f.type === 'fixed' || f.var === '') continue;
    if (f.type === 'boolean') answers[f.var] = f.value[0] === '1' || f.value[0] === 'true' ? 'true' : 'false';
    else answers[f.var] = f.type === 'text-multi' ? f.value.join('\n') : (f.value[0] ?? '');
  }
  return answers;
}

/** Which required fields are still empty (their labels), for a message before anything is sent. */
export function missingAnswers(form: RegistrationForm, answers: Record<string, string>): string[] {
  return visibleFields(form)
    .filter((f) => f.required && f.type !== 'fixed' && f.type !== 'boolean' && (answers[f.var] ?? '').trim() === '')
    .map((f) => f.label ?? f.var);
}

/** The gateway's data form (XEP-0004), CAPTCHA pictures and sounds included (XEP-0158), as plain labelled inputs. */
export function DataFormFields({ form, answers, onChange }: { form: RegistrationForm; answers: Record<string, string>; onChange: (v: string, value: string) => void }) {
  const base = useId();
  return (
    <div className="data-form">
      {form.instructions !== undefined && form.instructions !== '' && <p className="data-form-instructions">{form.instructions}</p>}
      {visibleFields(form).map((f, i) => (
        <FieldInput key={`${f.var}-${i}`} id={`${base}-${i}`} field={f} value={answers[f.var] ?? ''} onChange={(v) => { onChange(f.var, v); }} />
      ))}
    </div>
  );
}

function Media({ field }: { field: Field }) {
  const media = field.media.filter((m) => m.dataUrl.startsWith('data:'));
  if (media.length === 0) return null;
  return (
    <div className="captcha-media">
      {media.map((m, i) =>
        m.type.startsWith('audio/') ? (
          <audio key={i} controls src={m.dataUrl} aria-label="The challenge as sound" />
        ) : (
          <img key={i} src={m.dataUrl} alt="The challenge to read: type the characters it shows" className="captcha-image" />
        ),
      )}
    </div>
  );
}

function FieldInput({ id, field, value, onChange }: { id: string; field: Field; value: string; onChange: (v: string) => void }) {
  const label = field.label ?? field.var;
  if (field.type === 'fixed') {
    return <p className="data-form-fixed">{field.value.join(' ') || label}</p>;
  }
  if (field.type === 'boolean') {
    return (
      <label className="check">
        <input type="checkbox" checked={value === 'true'} onChange={(e) => { onChange(e.target.checked ? 'true' : 'false'); }} />
        {label}
      </label>
    );
  }
  const common = { id, value, required: field.required, 'aria-required': field.required } as const;
  return (
    <div className="field">
      <label htmlFor={id}>
        {label}
        {field.required ? '' : <span className="muted"> (optional)</span>}
      </label>
      <Media field={field} />
      {field.type === 'list-single' ? (
        <select {...common} onChange={(e) => { onChange(e.target.value); }}>
          {(value === '' || !field.required) && <option value="">Choose…</option>}
          {field.options.map((o) => (
            <option key={o.value} value={o.value}>
              {o.label ?? o.value}
            </option>
          ))}
        </select>
      ) : field.type === 'text-multi' ? (
        <textarea {...common} onChange={(e) => { onChange(e.target.value); }} />
      ) : (
        <input {...common} type={field.type === 'text-private' ? 'password' : 'text'} autoComplete="off" spellCheck={false} onChange={(e) => { onChange(e.target.value); }} />
      )}
    </div>
  );
}
