// Small building blocks shared by every page: routing, forms that show the server's
// validation errors next to the field, paged and filtered lists, notices.
import { useEffect, useRef, useState, useCallback } from 'preact/hooks';
import { get, qs } from './api.js';
import { parseSize, sizeInput, dateInput, fromDateInput, list } from './format.js';

// ------------------------------------------------------------------ routing (History API)

const listeners = new Set();
export function navigate(to, replace) {
  if (to === location.pathname + location.search) return;
  history[replace ? 'replaceState' : 'pushState'](null, '', to);
  listeners.forEach((l) => l());
}
window.addEventListener('popstate', () => listeners.forEach((l) => l()));

export function useLocation() {
  const [, setTick] = useState(0);
  useEffect(() => {
    const l = () => setTick((t) => t + 1);
    listeners.add(l);
    return () => listeners.delete(l);
  }, []);
  return { path: location.pathname, query: new URLSearchParams(location.search) };
}

// Matches "/domains/:name" against a path; returns the decoded params or null.
export function match(pattern, path) {
  const ps = pattern.split('/').filter(Boolean);
  const xs = path.split('/').filter(Boolean);
  if (ps.length !== xs.length) return null;
  const out = {};
  for (let i = 0; i < ps.length; i++) {
    if (ps[i][0] === ':') {
      try {
        out[ps[i].slice(1)] = decodeURIComponent(xs[i]);
      } catch (e) {
        return null;
      }
    } else if (ps[i] !== xs[i]) return null;
  }
  return out;
}

export function Link({ href, children, ...rest }) {
  return (
    <a
      href={href}
      onClick={(e) => {
        if (e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0) return;
        e.preventDefault();
        navigate(href);
      }}
      {...rest}
    >
      {children}
    </a>
  );
}

// ------------------------------------------------------------------ notices

export function ErrorNotice({ error }) {
  if (!error) return null;
  return (
    <div class="notice error" role="alert">
      {error.message}
    </div>
  );
}

export function Notice({ children, kind = 'ok' }) {
  if (!children) return null;
  return (
    <div class={'notice ' + kind} role="status">
      {children}
    </div>
  );
}

// Loads `path` (re-loading when `deps` change); `reload` fetches again.
export function useLoad(path, deps = []) {
  const [state, setState] = useState({ data: null, error: null, loading: true });
  const [n, setN] = useState(0);
  useEffect(() => {
    let live = true;
    if (!path) {
      setState({ data: null, error: null, loading: false });
      return;
    }
    setState((s) => ({ ...s, loading: true }));
    get(path).then(
      (data) => live && setState({ data, error: null, loading: false }),
      (error) => live && setState({ data: null, error, loading: false }),
    );
    return () => (live = false);
  }, [path, n, ...deps]);
  return { ...state, reload: useCallback(() => setN((x) => x + 1), []) };
}

// ------------------------------------------------------------------ forms

let idSeq = 0;
const useId = () => useRef('f' + ++idSeq).current;

function initialValue(f) {
  if (f.value !== undefined) {
    if (f.type === 'score') return f.value === null ? '' : String(f.value);
    if (f.type === 'size') return sizeInput(f.value);
    if (f.type === 'date') return dateInput(f.value);
    if (f.type === 'list') return (f.value || []).join(', ');
    return f.value;
  }
  if (f.type === 'checkbox') return false;
  if (f.type === 'multi') return [];
  if (f.type === 'select') return f.options && f.options.length ? f.options[0].value : '';
  return '';
}

// Turns typed values into API values; returns [values, fieldErrors].
function convert(fields, raw) {
  const out = {};
  const errs = {};
  for (const f of fields) {
    const v = raw[f.name];
    if (f.type === 'size') {
      const n = parseSize(v);
      if (Number.isNaN(n)) errs[f.name] = 'Use a size like 500M, 2G or a number of bytes.';
      else if (n !== null || f.keepNull) out[f.name] = n;
    } else if (f.type === 'number') {
      if (v === '' || v === null) {
        if (f.keepNull) out[f.name] = null;
      } else if (!/^\d+$/.test(String(v))) errs[f.name] = 'Enter a whole number.';
      else out[f.name] = Number(v);
    } else if (f.type === 'score') {
      const t = String(v ?? '').trim();
      if (t === '') out[f.name] = null;
      else if (!/^-?\d+(\.\d+)?$/.test(t)) errs[f.name] = 'Enter a number like 6 or 7.5, or leave it empty.';
      else out[f.name] = Number(t);
    } else if (f.type === 'date') {
      const t = fromDateInput(v, f.endOfDay);
      if (t !== null || f.keepNull) out[f.name] = t;
    } else if (f.type === 'list') {
      out[f.name] = list(v);
    } else if (f.type === 'select') {
      out[f.name] = v === '' && f.options.length ? f.options[0].value : v;
    } else if (f.type === 'checkbox' || f.type === 'multi') {
      out[f.name] = v;
    } else if (v !== '' || f.keepEmpty) {
      out[f.name] = v;
    }
    if (f.required && f.type !== 'select' && (v === '' || v === null || (Array.isArray(v) && !v.length)) && !errs[f.name])
      errs[f.name] = 'Required.';
  }
  return [out, errs];
}

function Field({ f, value, set, error }) {
  const id = useId();
  const errId = id + '-err';
  const helpId = id + '-help';
  const described = [error ? errId : null, f.help ? helpId : null].filter(Boolean).join(' ') || undefined;
  const common = {
    id,
    name: f.name,
    'aria-invalid': error ? 'true' : undefined,
    'aria-describedby': described,
    required: f.required,
    disabled: f.disabled,
  };
  let input;
  if (f.type === 'select') {
    input = (
      <select {...common} value={value || (f.options[0] && f.options[0].value)} onChange={(e) => set(e.currentTarget.value)}>
        {f.options.map((o) => (
          <option value={o.value}>{o.label ?? o.value}</option>
        ))}
      </select>
    );
  } else if (f.type === 'checkbox') {
    return (
      <div class={'field check' + (error ? ' has-error' : '')}>
        <input type="checkbox" {...common} checked={value} onChange={(e) => set(e.currentTarget.checked)} />
        <label for={id}>{f.label}</label>
        {f.help && <p class="help" id={helpId}>{f.help}</p>}
        {error && <p class="field-error" id={errId}>{error}</p>}
      </div>
    );
  } else if (f.type === 'multi') {
    return (
      <fieldset class={'field' + (error ? ' has-error' : '')} aria-describedby={described}>
        <legend>{f.label}</legend>
        {f.options.length === 0 && <p class="help">Nothing to choose from.</p>}
        {f.options.map((o) => (
          <label class="inline">
            <input
              type="checkbox"
              name={f.name}
              value={o.value}
              checked={value.includes(o.value)}
              onChange={(e) =>
                set(e.currentTarget.checked ? [...value, o.value] : value.filter((x) => x !== o.value))
              }
            />{' '}
            {o.label ?? o.value}
          </label>
        ))}
        {f.help && <p class="help" id={helpId}>{f.help}</p>}
        {error && <p class="field-error" id={errId}>{error}</p>}
      </fieldset>
    );
  } else if (f.type === 'textarea') {
    input = <textarea {...common} rows={f.rows || 5} value={value} onInput={(e) => set(e.currentTarget.value)} />;
  } else {
    const type = { size: 'text', list: 'text', number: 'text', score: 'text' }[f.type] || f.type || 'text';
    input = (
      <input
        {...common}
        type={type}
        inputMode={f.type === 'number' ? 'numeric' : f.type === 'score' ? 'decimal' : undefined}
        autocomplete={f.autocomplete || (f.type === 'password' ? 'new-password' : 'off')}
        placeholder={f.placeholder}
        value={value}
        onInput={(e) => set(e.currentTarget.value)}
      />
    );
  }
  return (
    <div class={'field' + (error ? ' has-error' : '')}>
      <label for={id}>{f.label}</label>
      {f.required && (
        <span class="req-mark" aria-hidden="true">
          *
        </span>
      )}
      {input}
      {f.help && <p class="help" id={helpId}>{f.help}</p>}
      {error && (
        <p class="field-error" id={errId}>
          {error}
        </p>
      )}
    </div>
  );
}

// A form over a field list. onSubmit(values) returns a promise; an ApiError whose `field`
// names one of the fields (or one of its `apiFields`) is shown next to it, others on top.
export function Form({ fields, onSubmit, submit = 'Save', onDone, resetOnDone, children, name }) {
  const [vals, setVals] = useState(() => Object.fromEntries(fields.map((f) => [f.name, initialValue(f)])));
  const [errs, setErrs] = useState({});
  const [top, setTop] = useState(null);
  const [busy, setBusy] = useState(false);
  const formRef = useRef(null);

  useEffect(() => {
    const first = formRef.current && formRef.current.querySelector('[aria-invalid="true"]');
    if (first) first.focus();
  }, [errs]);

  async function submitForm(e) {
    e.preventDefault();
    const [out, local] = convert(fields, vals);
    setTop(null);
    if (Object.keys(local).length) {
      setErrs(local);
      return;
    }
    setErrs({});
    setBusy(true);
    try {
      const r = await onSubmit(out);
      if (resetOnDone) setVals(Object.fromEntries(fields.map((f) => [f.name, initialValue(f)])));
      onDone && onDone(r, out);
    } catch (err) {
      const f = fields.find((x) => x.name === err.field || (x.apiFields || []).includes(err.field));
      if (f) setErrs({ [f.name]: err.message });
      else setTop(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form ref={formRef} onSubmit={submitForm} noValidate aria-label={name}>
      <ErrorNotice error={top} />
      {fields.map((f) =>
        f.hidden ? null : (
          <Field key={f.name} f={f} value={vals[f.name]} error={errs[f.name]} set={(v) => setVals((s) => ({ ...s, [f.name]: v }))} />
        ),
      )}
      {children}
      <button type="submit" disabled={busy}>
        {busy ? 'Working…' : submit}
      </button>
    </form>
  );
}

// ------------------------------------------------------------------ lists

// A server-paged list: `path` answers {items, next_cursor}; `filters` are query parameters
// sent to the server; the text box filters the loaded page by `text(item)`.
export function PagedTable({ path, params = {}, columns, text, empty = 'Nothing here yet.', pageSize = 25, caption, reloadKey }) {
  const [cursors, setCursors] = useState(['']);
  const [q, setQ] = useState('');
  const key = JSON.stringify(params);
  useEffect(() => setCursors(['']), [key, path]);
  const cursor = cursors[cursors.length - 1];
  const { data, error, loading } = useLoad(path + qs({ ...params, limit: pageSize, cursor }), [reloadKey]);
  const fid = useId();
  let items = (data && data.items) || [];
  if (q && text) items = items.filter((it) => text(it).toLowerCase().includes(q.toLowerCase()));
  return (
    <div class="paged">
      {text && (
        <div class="filter">
          <label for={fid}>Filter this page</label>
          <input id={fid} type="search" value={q} onInput={(e) => setQ(e.currentTarget.value)} />
        </div>
      )}
      <ErrorNotice error={error} />
      <div class="table-wrap">
        <table>
          {caption && <caption>{caption}</caption>}
          <thead>
            <tr>
              {columns.map((c) => (
                <th scope="col">{c.label}</th>
              ))}
            </tr>
          </thead>
          <tbody>
            {items.map((it) => (
              <tr>
                {columns.map((c) => (
                  <td data-label={c.label}>{c.render ? c.render(it) : it[c.key]}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {!loading && !error && items.length === 0 && <p class="empty">{empty}</p>}
      {loading && <p class="loading">Loading…</p>}
      <nav class="pager" aria-label="Pages">
        <button type="button" class="secondary" disabled={cursors.length < 2} onClick={() => setCursors(cursors.slice(0, -1))}>
          Previous page
        </button>
        <span>Page {cursors.length}</span>
        <button
          type="button"
          class="secondary"
          disabled={!data || !data.next_cursor}
          onClick={() => setCursors([...cursors, data.next_cursor])}
        >
          Next page
        </button>
      </nav>
    </div>
  );
}

// A select of the domains in the actor's scope ('' = all of them), for list filters.
export function DomainFilter({ value, set, id, label = 'Domain' }) {
  const d = useLoad('/domains?limit=1000');
  return (
    <div class="filter">
      <label for={id}>{label}</label>
      <select id={id} value={value} onChange={(e) => set(e.currentTarget.value)}>
        <option value="">All in my scope</option>
        {((d.data && d.data.items) || []).map((x) => (
          <option value={x.name}>{x.name}</option>
        ))}
      </select>
    </div>
  );
}

// A button that asks first, then runs `action` (a promise); shows its error.
export function ActionButton({ label, confirm, action, onDone, kind = 'secondary', ariaLabel }) {
  const [err, setErr] = useState(null);
  const [busy, setBusy] = useState(false);
  return (
    <span class="action">
      <button
        type="button"
        class={kind}
        aria-label={ariaLabel}
        disabled={busy}
        onClick={async () => {
          if (confirm && !window.confirm(confirm)) return;
          setErr(null);
          setBusy(true);
          try {
            const r = await action();
            onDone && onDone(r);
          } catch (e) {
            setErr(e);
          } finally {
            setBusy(false);
          }
        }}
      >
        {label}
      </button>
      {err && (
        <span class="field-error" role="alert">
          {err.message}
        </span>
      )}
    </span>
  );
}

export function Section({ title, children, id }) {
  const hid = useId();
  return (
    <section aria-labelledby={hid} id={id}>
      <h2 id={hid}>{title}</h2>
      {children}
    </section>
  );
}

// Usage against a limit, as a labelled meter.
export function UsageBar({ label, used, limit, format = (x) => x }) {
  const has = limit !== null && limit !== undefined;
  const pct = !has ? 0 : limit > 0 ? Math.min(100, Math.round((used / limit) * 100)) : 100;
  return (
    <div class="usage">
      <div class="usage-label">
        <span>{label}</span>
        <span>
          {format(used)} {has ? `of ${format(limit)} (${pct}%)` : '(no limit)'}
        </span>
      </div>
      {has && limit > 0 && <meter min="0" max={limit} value={used} low={limit * 0.8} high={limit * 0.95} optimum={0} aria-label={label} />}
    </div>
  );
}
