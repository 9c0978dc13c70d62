// The demo page: one persona's chat with the bot, fed by the JSON API of bot/devtools/demo/server.py.
// Every piece of text from the bot or a person goes into the page with textContent, never as HTML.
"use strict";

const $ = (id) => document.getElementById(id);
const state = {
  personas: [],
  current: null,   // the persona whose chat is shown
  seq: 0,          // newest item seen in this chat
  nodes: new Map(),// item key -> its row element (edits replace it in place)
  seen: {},        // persona key -> newest seq read there (for the unread dots)
  latest: {},      // persona key -> newest seq in that chat
  gen: 0,          // bumps on every persona switch; stale poll loops stop
  abort: null,
};

async function api(path, options = {}) {
  const res = await fetch(path, options);
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(body.error || `Lỗi ${res.status}`);
  return body;
}

function postJSON(path, data) {
  return api(path, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(data || {}),
  });
}

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = text;
  return node;
}

function showError(message) {
  const box = $("error");
  box.textContent = message;
  box.hidden = !message;
  if (message) setTimeout(() => { if (box.textContent === message) box.hidden = true; }, 5000);
}

function initial(name) {
  const words = name.trim().split(/\s+/);
  return (words[words.length - 1] || "?").charAt(0).toUpperCase();
}

// ---- persona list ------------------------------------------------------------------------------

function renderPersonas() {
  const nav = $("personas");
  nav.replaceChildren();
  for (const p of state.personas) {
    const btn = el("button", "persona");
    btn.type = "button";
    btn.dataset.persona = p.key;
    const avatar = el("span", `avatar av-${p.key}`, p.group ? "👥" : initial(p.name));
    const text = el("span", "who");
    text.append(el("span", "name", p.name), el("span", "role", p.role));
    btn.append(avatar, text, el("span", "dot"));
    btn.addEventListener("click", () => openChat(p.key));
    nav.appendChild(btn);
    if (p.dashboard) {
      // The web dashboard of /bangdieukhien, signed in as this persona (a fresh one-time link).
      const link = el("a", "dash-link", "📊 Bảng điều khiển");
      link.href = p.dashboard;
      link.target = "_blank";
      link.rel = "noopener";
      link.dataset.dashboard = p.key;
      nav.appendChild(link);
    }
  }
  markPersonas({});
}

function markPersonas(latest) {
  for (const btn of document.querySelectorAll(".persona")) {
    const key = btn.dataset.persona;
    const active = state.current && state.current.key === key;
    btn.classList.toggle("active", Boolean(active));
    btn.setAttribute("aria-current", active ? "true" : "false");
    const unread = !active && (latest[key] || 0) > (state.seen[key] || 0);
    btn.classList.toggle("unread", unread);
  }
}

// ---- messages ----------------------------------------------------------------------------------

function renderRuns(runs) {
  const frag = document.createDocumentFragment();
  for (const run of runs) {
    let node;
    if (run.href && /^https?:\/\//.test(run.href)) {
      node = el("a", null, run.t);
      node.href = run.href;
      node.target = "_blank";
      node.rel = "noopener noreferrer";
    } else {
      node = el("span", null, run.t);
    }
    for (const style of run.s || []) node.classList.add(`st-${style}`);
    frag.appendChild(node);
  }
  return frag;
}

function renderItem(item) {
  const row = el("div", `row ${item.from}`);
  row.dataset.key = item.key;
  if (item.message_id !== undefined) row.dataset.messageId = String(item.message_id);
  if (item.from === "notice") {
    row.appendChild(el("div", "notice", item.text));
    return row;
  }
  const bubble = el("div", `msg ${item.from}`);
  if (item.deleted) {
    bubble.classList.add("deleted");
    bubble.appendChild(el("div", "body st-i", "Tin nhắn đã bị xoá"));
    row.appendChild(bubble);
    return row;
  }
  if (item.from === "user" && state.current && state.current.group) {
    bubble.appendChild(el("div", "author", item.author));
  }
  if (item.photo) {
    const img = el("img", "photo");
    img.src = item.photo;
    img.alt = "Ảnh";
    img.loading = "lazy";
    img.addEventListener("load", () => scrollToEnd(false));
    bubble.appendChild(img);
  }
  if (item.document) bubble.appendChild(el("div", "doc", `📄 ${item.document}`));
  if (item.runs.length) {
    const body = el("div", "body");
    body.appendChild(renderRuns(item.runs));
    bubble.appendChild(body);
  }
  bubble.appendChild(el("div", "meta", (item.edited ? "đã sửa · " : "") + item.at));
  row.appendChild(bubble);
  if (item.buttons.length) {
    const kb = el("div", "inline-kb");
    for (const line of item.buttons) {
      const kbRow = el("div", "kb-row");
      for (const b of line) {
        if (b.data !== undefined) {
          const btn = el("button", "inline-btn", b.label);
          btn.type = "button";
          btn.addEventListener("click", () => press(item.message_id, b.data, btn));
          kbRow.appendChild(btn);
        } else if (b.url) {
          const link = el("a", "inline-btn", `${b.label} ↗`);
          link.href = b.url;
          link.target = "_blank";
          link.rel = "noopener noreferrer";
          kbRow.appendChild(link);
        }
      }
      kb.appendChild(kbRow);
    }
    row.appendChild(kb);
  }
  return row;
}

function nearBottom() {
  const box = $("messages");
  return box.scrollHeight - box.scrollTop - box.clientHeight < 120;
}

function scrollToEnd(force) {
  const box = $("messages");
  if (force || nearBottom()) box.scrollTop = box.scrollHeight;
}

function upsert(item) {
  const node = renderItem(item);
  const old = state.nodes.get(item.key);
  if (old) {
    old.replaceWith(node);  // an edit: the message changes where it is
  } else {
    $("messages").appendChild(node);
  }
  state.nodes.set(item.key, node);
}

function renderMenu(menu) {
  const box = $("menu");
  box.replaceChildren();
  if (!menu || !menu.length) return;
  for (const line of menu) {
    const row = el("div", "menu-row");
    for (const label of line) {
      const btn = el("button", "menu-btn", label);
      btn.type = "button";
      btn.addEventListener("click", () => send(label));
      row.appendChild(btn);
    }
    box.appendChild(row);
  }
}

function apply(data) {
  const stick = nearBottom();
  for (const item of data.items) upsert(item);
  state.seq = Math.max(state.seq, data.seq);
  renderMenu(data.menu);
  $("clock").textContent = data.clock.label;
  state.seen[state.current.key] = data.latest[state.current.key] || 0;
  state.latest = data.latest;
  markPersonas(state.latest);
  if (data.items.length) scrollToEnd(stick);
}

async function pollLoop(gen, signal) {
  while (gen === state.gen) {
    try {
      const key = encodeURIComponent(state.current.key);
      const data = await api(`/api/chat/${key}?after=${state.seq}&wait=20`, { signal });
      if (gen !== state.gen) return;
      apply(data);
    } catch (err) {
      if (gen !== state.gen) return;
      showError(`Mất kết nối với bản thử: ${err.message}`);
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
}

function openChat(key) {
  const persona = state.personas.find((p) => p.key === key);
  if (!persona) return;
  if (state.abort) state.abort.abort();
  state.gen += 1;
  state.current = persona;
  state.seq = 0;
  state.nodes.clear();
  $("messages").replaceChildren();
  renderMenu(null);
  $("chat-title").textContent = persona.group ? persona.name : `${persona.name} ↔ Học Bác`;
  const secretary = state.personas.find((p) => !p.group);
  $("chat-sub").textContent = persona.group
    ? `Nhóm chat · đồng chí viết với tư cách ${secretary ? secretary.name : "bí thư"}`
    : `${persona.role} · trò chuyện riêng với bot`;
  const avatar = $("chat-avatar");
  avatar.className = `avatar av-${persona.key}`;
  avatar.textContent = persona.group ? "👥" : initial(persona.name);
  markPersonas(state.latest);
  history.replaceState(null, "", `#${persona.key}`);
  const controller = new AbortController();
  state.abort = controller;
  pollLoop(state.gen, controller.signal);
  $("text").focus();
}

// ---- actions -----------------------------------------------------------------------------------

async function send(text) {
  if (!text.trim()) return;
  try {
    await postJSON("/api/send", { persona: state.current.key, text });
  } catch (err) {
    showError(err.message);
  }
}

async function press(messageId, data, button) {
  button.disabled = true;
  try {
    await postJSON("/api/press", { persona: state.current.key, message_id: messageId, data });
  } catch (err) {
    showError(err.message);
    button.disabled = false;
  }
}

async function sendPhoto(file) {
  const form = new FormData();
  form.append("persona", state.current.key);
  form.append("caption", $("text").value);
  form.append("file", file, file.name || "anh.png");
  try {
    await api("/api/photo", { method: "POST", body: form });
    $("text").value = "";
  } catch (err) {
    showError(err.message);
  }
}

async function moveClock(path, button) {
  for (const b of document.querySelectorAll(".time-btn")) b.disabled = true;
  try {
    const data = await postJSON(path);
    $("clock").textContent = data.clock.label;
  } catch (err) {
    showError(err.message);
  } finally {
    for (const b of document.querySelectorAll(".time-btn")) b.disabled = false;
    button.blur();
  }
}

async function main() {
  $("composer").addEventListener("submit", (event) => {
    event.preventDefault();
    const input = $("text");
    const text = input.value;
    input.value = "";
    send(text);
  });
  $("photo-input").addEventListener("change", (event) => {
    const file = event.target.files && event.target.files[0];
    event.target.value = "";
    if (file) sendPhoto(file);
  });
  $("next-morning").addEventListener("click", (e) => moveClock("/api/clock/next-morning", e.currentTarget));
  $("digest").addEventListener("click", (e) => moveClock("/api/clock/digest", e.currentTarget));
  $("meeting").addEventListener("click", (e) => moveClock("/api/clock/meeting", e.currentTarget));
  try {
    const data = await api("/api/personas");
    state.personas = data.personas;
    $("clock").textContent = data.clock.label;
  } catch (err) {
    showError(`Không tải được bản thử: ${err.message}`);
    return;
  }
  renderPersonas();
  const wanted = decodeURIComponent(location.hash.slice(1));
  const first = state.personas.find((p) => p.key === wanted) || state.personas[0];
  openChat(first.key);
}

document.addEventListener("DOMContentLoaded", main);
