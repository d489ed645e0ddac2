import { useState } from 'react'
import type { JsonSchema } from './api'

/** A starting value for a schema: its default, else an empty value of its type. */
export function initialValue(schema: JsonSchema | undefined): unknown {
  if (!schema) return {}
  if (schema.default !== undefined) return schema.default
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type
  if (type === 'object') {
    const value: Record<string, unknown> = {}
    for (const [key, child] of Object.entries(schema.properties ?? {})) value[key] = initialValue(child)
    return value
  }
  if (type === 'boolean') return false
  if (type === 'string') return schema.enum ? schema.enum[0] : ''
  if (type === 'array') return []
  return undefined
}

function Field({ name, schema, value, onChange, required }: { name: string; schema: JsonSchema; value: unknown; onChange: (v: unknown) => void; required: boolean }) {
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type
  const label = (
    <span>
      {name}
      {required && <abbr title="required"> *</abbr>}
      {schema.description && <small className="muted"> — {schema.description}</small>}
    </span>
  )
  if (type === 'object' && schema.properties) {
    return (
      <fieldset>
        <legend>{label}</legend>
        <Fields schema={schema} value={value as Record<string, unknown>} onChange={onChange} />
      </fieldset>
    )
  }
  if (schema.enum) {
    return (
      <label>
        {label}
        <select name={name} value={String(value ?? '')} onChange={(e) => onChange(schema.enum!.find((v) => String(v) === e.target.value))}>
          {schema.enum.map((v) => (
            <option key={String(v)}>{String(v)}</option>
          ))}
        </select>
      </label>
    )
  }
  if (type === 'boolean') {
    return (
      <label className="check">
        <input name={name} type="checkbox" checked={value === true} onChange={(e) => onChange(e.target.checked)} />
        {label}
      </label>
    )
  }
  if (type === 'number' || type === 'integer') {
    return (
      <label>
        {label}
        <input
          name={name}
          type="number"
          step={type === 'integer' ? 1 : 'any'}
          value={value === undefined ? '' : String(value)}
          onChange={(e) => onChange(e.target.value === '' ? undefined : Number(e.target.value))}
        />
      </label>
    )
  }
  if (type === 'string') {
    return (
      <label>
        {label}
        <input name={name} value={String(value ?? '')} required={required} onChange={(e) => onChange(e.target.value)} />
      </label>
    )
  }
  return <JsonField name={name} label={label} value={value} onChange={onChange} />
}

/** Any shape the form cannot draw (arrays, unions) is edited as JSON. */
function JsonField({ name, label, value, onChange }: { name: string; label: React.ReactNode; value: unknown; onChange: (v: unknown) => void }) {
  const [text, setText] = useState(() => JSON.stringify(value ?? null, null, 2))
  const [bad, setBad] = useState(false)
  return (
    <label>
      {label}
      <textarea
        name={name}
        value={text}
        aria-invalid={bad}
        onChange={(e) => {
          setText(e.target.value)
          try {
            onChange(JSON.parse(e.target.value))
            setBad(false)
          } catch {
            setBad(true)
          }
        }}
      />
    </label>
  )
}

function Fields({ schema, value, onChange }: { schema: JsonSchema; value: Record<string, unknown>; onChange: (v: unknown) => void }) {
  const required = new Set(schema.required ?? [])
  return (
    <>
      {Object.entries(schema.properties ?? {}).map(([key, child]) => (
        <Field key={key} name={key} schema={child} required={required.has(key)} value={value?.[key]} onChange={(v) => onChange({ ...value, [key]: v })} />
      ))}
    </>
  )
}

/** A form drawn from a JSON schema (a workflow's input, a step's resume data). */
export function SchemaForm({ schema, submitLabel, onSubmit, busy }: { schema: JsonSchema | undefined; submitLabel: string; onSubmit: (value: unknown) => void; busy?: boolean }) {
  const [value, setValue] = useState(() => initialValue(schema))
  const isObject = schema?.type === 'object' && schema.properties
  return (
    <form
      className="schema-form"
      onSubmit={(e) => {
        e.preventDefault()
        onSubmit(value)
      }}
    >
      {isObject ? (
        <Fields schema={schema} value={value as Record<string, unknown>} onChange={setValue} />
      ) : (
        <JsonField name="value" label="JSON" value={value} onChange={setValue} />
      )}
      <button type="submit" disabled={busy}>
        {submitLabel}
      </button>
    </form>
  )
}
