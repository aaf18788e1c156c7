// The demo chat: renders what the server streams (server-sent events) and posts what the person
// does. Bot text arrives as sanitised HTML built by the server from Telegram entities; anything
// else (user text, button labels, addresses) is put in the page as text only.
"use strict";

const $ = (id) => document.getElementById(id);
const state = { user: null, users: [], point: null, source: null, busy: false };

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

async function post(path, body) {
  const response = await fetch(path, {
    method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ user: state.user, ...body }),
  });
  if (!response.ok) notice(await response.text());
  return response.ok;
}

function notice(text) {
  const chat = $("chat");
  const node = el("div", "notice", text);
  chat.appendChild(node);
  chat.scrollTop = chat.scrollHeight;
  setTimeout(() => node.remove(), 4000);
}

function safeHref(url) {
  try {
    const parsed = new URL(url, location.href);
    return ["http:", "https:"].includes(parsed.protocol) ? parsed.href : null;
  } catch (e) { return null; }
}

function card(title, address, osm) {
  const box = el("div", "card");
  box.appendChild(el("b", "", title));
  if (address) box.appendChild(el("div", "", address));
  const link = el("a", "", "Open in OpenStreetMap ↗");
  link.href = osm; link.target = "_blank"; link.rel = "noopener noreferrer";
  box.appendChild(link);
  return box;
}

function renderMessage(m) {
  const wrap = el("div", "msg " + (m.bot ? "bot" : "user"));
  wrap.dataset.id = m.id;
  const bubble = el("div", "bubble");
  if (m.photo) { const img = el("img"); img.src = m.photo; img.alt = "photo"; bubble.appendChild(img); }
  else if (m.photo === null) bubble.appendChild(el("div", "card", "🖼 photo"));
  if (m.venue) bubble.appendChild(card("📍 " + m.venue.title, m.venue.address, m.venue.osm));
  if (m.location) bubble.appendChild(card("📍 Location", m.location.lat.toFixed(5) + ", " + m.location.lon.toFixed(5), m.location.osm));
  if (m.contact) bubble.appendChild(el("div", "card", "📞 " + m.contact));
  if (m.document) {
    const doc = el("div", "doc");
    doc.appendChild(el("span", "icon", "⬇"));
    if (m.document.url) {
      const a = el("a", "", m.document.name); a.href = m.document.url; a.download = m.document.name; doc.appendChild(a);
    } else doc.appendChild(el("span", "", m.document.name));
    bubble.appendChild(doc);
  }
  const text = el("span", "text");
  if (m.html !== undefined) text.innerHTML = m.html;  // built and escaped by the server (demo/render.py)
  else if (m.text !== undefined) text.textContent = m.text;
  bubble.appendChild(text);
  bubble.appendChild(el("span", "meta", (m.edited ? "edited " : "") + m.time));
  wrap.appendChild(bubble);
  text.querySelectorAll(".spoiler").forEach((s) => s.addEventListener("click", () => s.classList.add("shown")));
  if (m.buttons && m.buttons.length) {
    const keyboard = el("div", "ikb");
    for (const row of m.buttons) {
      const line = el("div", "row");
      for (const b of row) {
        const button = el("button", b.url ? "url" : "", b.text);
        button.type = "button";
        if (b.data !== undefined) button.addEventListener("click", () => tap(m.id, b.data, button));
        else if (b.url) button.addEventListener("click", () => { const href = safeHref(b.url); if (href) window.open(href, "_blank", "noopener"); });
        else button.disabled = true;
        line.appendChild(button);
      }
      keyboard.appendChild(line);
    }
    wrap.appendChild(keyboard);
  }
  return wrap;
}

function upsert(m) {
  const chat = $("chat");
  const atBottom = chat.scrollHeight - chat.scrollTop - chat.clientHeight < 80;
  const node = renderMessage(m);
  const old = chat.querySelector(`.msg[data-id="${m.id}"]`);
  if (old) old.replaceWith(node);
  else {
    const later = [...chat.querySelectorAll(".msg")].find((n) => Number(n.dataset.id) > m.id);
    chat.insertBefore(node, later || null);
  }
  if (atBottom || !old) chat.scrollTop = chat.scrollHeight;
}

function tap(messageId, data, button) {
  // A short flash, as Telegram shows a tap; the bot itself guards against double taps.
  button.classList.add("tapped");
  setTimeout(() => button.classList.remove("tapped"), 300);
  return post("/demo/tap", { message_id: messageId, data });
}

function renderKeyboard(buttons) {
  const box = $("reply");
  box.replaceChildren();
  box.hidden = buttons.length === 0;
  for (const b of buttons) {
    const button = el("button", buttons.length % 2 === 1 ? "wide" : "", b.text);
    button.type = "button";
    button.addEventListener("click", () => replyButton(b));
    box.appendChild(button);
  }
}

function replyButton(b) {
  if (b.kind === "location") {
    $("lat").value = state.point.lat; $("lon").value = state.point.lon;
    openSheet("locationForm", b.text);
  } else if (b.kind === "contact") {
    const me = state.users.find((u) => u.id === state.user);
    $("phone").textContent = "The bot will see your phone number" + (me ? " (" + me.name + ")" : "") + ".";
    openSheet("contactForm", b.text);
  } else post("/demo/reply", { text: b.text });
}

function openSheet(formId, text) {
  $("sheet").hidden = false;
  for (const f of ["locationForm", "contactForm"]) $(f).hidden = f !== formId;
  $("sheet").dataset.text = text;
}

function closeSheet() { $("sheet").hidden = true; }

function renderCommands(commands) {
  const menu = $("menu");
  menu.replaceChildren();
  for (const c of commands) {
    const button = el("button");
    button.type = "button";
    button.appendChild(el("span", "cmd", "/" + c.command));
    button.appendChild(el("span", "desc", c.description));
    button.addEventListener("click", () => { menu.hidden = true; post("/demo/send", { text: "/" + c.command }); });
    menu.appendChild(button);
  }
  $("menuButton").hidden = commands.length === 0;
}

function connect() {
  if (state.source) state.source.close();
  $("chat").replaceChildren();
  const source = new EventSource("/demo/events?user=" + encodeURIComponent(state.user));
  state.source = source;
  const on = (name, handler) => source.addEventListener(name, (e) => handler(JSON.parse(e.data)));
  on("reset", () => $("chat").replaceChildren());
  on("message", upsert);
  on("delete", (d) => { const n = $("chat").querySelector(`.msg[data-id="${d.id}"]`); if (n) n.remove(); });
  on("keyboard", (d) => renderKeyboard(d.buttons));
  on("commands", (d) => renderCommands(d.commands));
  on("clock", (d) => {
    const h = Math.floor(d.ahead_minutes / 60), min = d.ahead_minutes % 60;
    const ahead = [h ? h + " h" : "", min ? min + " min" : ""].filter(Boolean).join(" ");
    $("clock").textContent = d.now + (ahead ? " · +" + ahead : "");
  });
}

function selectUser(id) {
  state.user = id;
  const me = state.users.find((u) => u.id === id);
  $("lang").value = me ? me.lang : "en";
  connect();
}

async function init() {
  const s = await (await fetch("/demo/state")).json();
  state.users = s.users; state.point = s.point;
  for (const u of s.users) {
    const option = el("option", "", `${u.name} (${u.role})`);
    option.value = u.id;
    $("who").appendChild(option);
  }
  $("who").addEventListener("change", () => selectUser(Number($("who").value)));
  $("lang").addEventListener("change", async () => {
    const me = state.users.find((u) => u.id === state.user);
    if (await post("/demo/language", { lang: $("lang").value }) && me) me.lang = $("lang").value;
  });
  $("plus15").addEventListener("click", () => post("/demo/clock", { minutes: 15 }));
  $("plus60").addEventListener("click", () => post("/demo/clock", { minutes: 60 }));
  $("menuButton").addEventListener("click", () => { $("menu").hidden = !$("menu").hidden; });
  $("composer").addEventListener("submit", async (e) => {
    e.preventDefault();
    const text = $("text").value.trim();
    if (!text) return;
    $("text").value = "";
    await post("/demo/send", { text });
  });
  document.querySelectorAll(".sheet .cancel").forEach((b) => b.addEventListener("click", closeSheet));
  $("geo").addEventListener("click", () => navigator.geolocation && navigator.geolocation.getCurrentPosition(
    (p) => { $("lat").value = p.coords.latitude.toFixed(6); $("lon").value = p.coords.longitude.toFixed(6); },
    () => notice("The browser did not share its location; the demo point is used.")));
  $("locationForm").addEventListener("submit", async (e) => {
    e.preventDefault();
    const lat = Number($("lat").value), lon = Number($("lon").value);
    if (await post("/demo/reply", { text: $("sheet").dataset.text, lat, lon })) closeSheet();
  });
  $("contactForm").addEventListener("submit", async (e) => {
    e.preventDefault();
    if (await post("/demo/reply", { text: $("sheet").dataset.text })) closeSheet();
  });
  selectUser(s.users[0].id);
}

init();
