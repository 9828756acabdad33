/*! Kizuna web snippet — first-party page and event tracking, forms. No dependencies. */
/*
 * <script async src="https://kizuna.example.com/js/kizuna.js" data-write-key="kz_write_…"
 *         data-consent="pending"></script>
 * kizuna.page() / kizuna.track(event, properties) / kizuna.identify(userId, traits)
 * kizuna.consent(true|false) / kizuna.form(formId, cssSelector) / kizuna.reset()
 * With data-consent="pending" nothing is stored or sent (no cookie either) until
 * kizuna.consent(true); kizuna.consent(false) drops what waited.
 */
(() => {
  if (window.kizuna?.loaded) return;
  const script = document.currentScript || document.querySelector('script[data-write-key]');
  const base = new URL(script.src).origin;
  const writeKey = script.getAttribute('data-write-key');
  const COOKIE = 'kz_aid';
  const YEAR = 365 * 24 * 3600;
  let consent = script.getAttribute('data-consent') === 'pending' ? 'pending' : 'granted';
  let waiting = [];
  const early = Array.isArray(window.kizuna) ? window.kizuna : [];

  const uuid = () =>
    crypto.randomUUID
      ? crypto.randomUUID()
      : 'xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx'.replace(/[xy]/g, (c) => {
          const r = (Math.random() * 16) | 0;
          return (c === 'x' ? r : (r & 3) | 8).toString(16);
        });

  function readCookie(name) {
    const match = document.cookie.match(new RegExp(`(?:^|; )${name}=([^;]*)`));
    return match ? decodeURIComponent(match[1]) : undefined;
  }

  function anonymousId() {
    let id = readCookie(COOKIE) || localStorage.getItem(COOKIE);
    if (!id) id = uuid();
    // First-party: set by this page on its own domain, renewed on every visit.
    // biome-ignore lint/suspicious/noDocumentCookie: the Cookie Store API is missing in Safari and Firefox
    document.cookie = `${COOKIE}=${encodeURIComponent(id)}; path=/; max-age=${YEAR}; SameSite=Lax${location.protocol === 'https:' ? '; Secure' : ''}`;
    try {
      localStorage.setItem(COOKIE, id);
    } catch {
      // storage may be blocked; the cookie still works
    }
    return id;
  }

  function campaign() {
    const params = new URLSearchParams(location.search);
    const out = {};
    for (const [param, key] of [
      ['utm_source', 'source'],
      ['utm_medium', 'medium'],
      ['utm_campaign', 'name'],
      ['utm_term', 'term'],
      ['utm_content', 'content'],
    ]) {
      if (params.get(param)) out[key] = params.get(param);
    }
    return out;
  }

  function context() {
    const ctx = {
      page: { path: location.pathname, url: location.href, search: location.search, title: document.title, referrer: document.referrer },
      userAgent: navigator.userAgent,
      locale: navigator.language,
      library: { name: 'kizuna.js', version: '1' },
    };
    try {
      ctx.timezone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    } catch {}
    const utm = campaign();
    if (Object.keys(utm).length) ctx.campaign = utm;
    return ctx;
  }

  function send(call) {
    if (consent === 'denied') return;
    if (consent === 'pending') {
      waiting.push(call);
      return;
    }
    const userId = localStorage.getItem('kz_uid') || undefined;
    const message = {
      messageId: uuid(),
      anonymousId: anonymousId(),
      userId,
      timestamp: new Date().toISOString(),
      context: context(),
      ...call,
    };
    // text/plain keeps the request "simple": no CORS preflight, and it survives page unloads.
    fetch(`${base}/v1/b`, {
      method: 'POST',
      body: JSON.stringify({ batch: [message], writeKey, sentAt: new Date().toISOString() }),
      headers: { 'content-type': 'text/plain' },
      keepalive: true,
      credentials: 'omit',
    }).catch(() => {});
  }

  const api = {
    loaded: true,
    page(name, properties) {
      send({
        type: 'page',
        name: name || document.title,
        properties: { path: location.pathname, url: location.href, referrer: document.referrer, ...properties },
      });
    },
    track(event, properties) {
      send({ type: 'track', event, properties: properties || {} });
    },
    identify(userId, traits) {
      if (userId && typeof userId === 'object') return api.identify(undefined, userId);
      if (userId) localStorage.setItem('kz_uid', String(userId));
      send({ type: 'identify', traits: traits || {}, ...(userId ? { userId: String(userId) } : {}) });
    },
    consent(granted) {
      consent = granted ? 'granted' : 'denied';
      const calls = waiting;
      waiting = [];
      if (granted) for (const call of calls) send(call);
    },
    reset() {
      localStorage.removeItem('kz_uid');
      localStorage.removeItem(COOKIE);
      // biome-ignore lint/suspicious/noDocumentCookie: the Cookie Store API is missing in Safari and Firefox
      document.cookie = `${COOKIE}=; path=/; max-age=0`;
    },
    anonymousId: () => (consent === 'granted' ? anonymousId() : undefined),
    async form(formId, selector) {
      const target = typeof selector === 'string' ? document.querySelector(selector) : selector;
      const aid = api.anonymousId();
      const definition = await (
        await fetch(`${base}/f/${formId}/definition.json${aid ? `?anonymousId=${encodeURIComponent(aid)}` : ''}`)
      ).json();
      renderForm(target, formId, definition);
    },
  };

  function element(tag, attributes, text) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attributes || {})) node.setAttribute(key, value);
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function renderForm(target, formId, definition) {
    const form = element('form', { 'data-kizuna-form': formId, novalidate: '' });
    for (const field of definition.fields) {
      if (field.type === 'hidden') continue;
      const id = `kz-${formId}-${field.key.replace(/\W/g, '-')}`;
      const row = element('div', { class: 'kz-field' });
      row.append(element('label', { for: id }, field.label + (field.required ? ' *' : '')));
      let control;
      if (field.type === 'select') {
        control = element('select', { id, name: field.key });
        control.append(element('option', { value: '' }, ''));
        for (const option of field.options || []) control.append(element('option', {}, option));
      } else if (field.type === 'textarea') control = element('textarea', { id, name: field.key });
      else control = element('input', { id, name: field.key, type: field.type });
      row.append(control, element('p', { class: 'kz-error', 'data-error-for': field.key, role: 'alert' }));
      form.append(row);
    }
    if (definition.consent) {
      const label = element('label', { class: 'kz-consent' });
      label.append(element('input', { type: 'checkbox', name: '_consent' }), document.createTextNode(` ${definition.consent.wording}`));
      form.append(label, element('p', { class: 'kz-error', 'data-error-for': 'consent', role: 'alert' }));
    }
    const honeypot = element('input', {
      name: '_hp',
      tabindex: '-1',
      autocomplete: 'off',
      'aria-hidden': 'true',
      style: 'position:absolute;left:-10000px',
    });
    form.append(honeypot, element('button', { type: 'submit' }, definition.submitLabel));
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const values = {};
      for (const field of definition.fields) if (form.elements[field.key]) values[field.key] = form.elements[field.key].value;
      const response = await fetch(`${base}/f/${formId}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          values,
          anonymousId: api.anonymousId(),
          consent: form.elements._consent ? form.elements._consent.checked : false,
          _hp: honeypot.value,
        }),
      });
      const result = await response.json();
      for (const node of form.querySelectorAll('[data-error-for]'))
        node.textContent = result.errors?.[node.getAttribute('data-error-for')] || '';
      if (!result.ok) return;
      if (result.redirectUrl) location.href = result.redirectUrl;
      else form.replaceWith(element('p', { class: 'kz-thanks', role: 'status' }, result.message));
    });
    target.replaceChildren(form);
  }

  window.kizuna = api;
  // Calls made before the snippet loaded (window.kizuna = [['page'], ['track', 'Signup']]).
  for (const [method, ...args] of early) api[method]?.(...args);
})();
