// Anode console: a small single-page app over /console/api/. No
// framework, no build step. The session cookie is HttpOnly; the CSRF
// token the login answer returns is sent in X-Anode-Csrf on every call
// that changes something.
"use strict";

const state = { csrf: "", accessKey: "", root: false, bucket: "", prefix: "", token: "" };
const $ = (id) => document.getElementById(id);

function showError(msg) {
  const e = $("error");
  e.textContent = msg || "";
  e.hidden = !msg;
}

function api(method, path, body) {
  const opts = { method, headers: {}, credentials: "same-origin" };
  if (method !== "GET") opts.headers["X-Anode-Csrf"] = state.csrf;
  if (body !== undefined) {
    opts.headers["Content-Type"] = "application/json";
    opts.body = JSON.stringify(body);
  }
  return fetch("api/" + path, opts).then(async (res) => {
    const data = await res.json().catch(() => ({}));
    if (res.status === 401 && path !== "login") { loggedOut(); }
    if (!res.ok) throw new Error((data.code ? data.code + ": " : "") + (data.error || res.statusText));
    return data;
  });
}

function bucketPath(b) { return "buckets/" + encodeURIComponent(b); }

function el(tag, text, attrs) {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  for (const k in attrs || {}) e.setAttribute(k, attrs[k]);
  return e;
}

function button(text, cls, onclick) {
  const b = el("button", text, { type: "button" });
  if (cls) b.className = cls;
  b.addEventListener("click", onclick);
  return b;
}

function human(n) {
  const u = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; }
  return (i ? n.toFixed(1) : n) + " " + u[i];
}

function show(view) {
  for (const v of ["login-view", "buckets-view", "bucket-view", "users-view", "cluster-view"]) $(v).hidden = v !== view;
  for (const a of document.querySelectorAll(".root-only")) a.hidden = !state.root;
  $("nav").hidden = view === "login-view";
  $("who").textContent = state.accessKey + (state.root ? " (root)" : "");
}

function loggedOut() {
  state.csrf = "";
  state.accessKey = "";
  $("login-form").reset();
  show("login-view");
}

function loggedIn(s) {
  state.csrf = s.csrf;
  state.accessKey = s.accessKey;
  state.root = s.root;
  route();
}

async function route() {
  showError("");
  const h = location.hash.replace(/^#/, "");
  const m = h.match(/^\/b\/([^/]*)\/?(.*)$/);
  try {
    if (h === "/users") {
      await showUsers();
    } else if (h === "/cluster") {
      await showCluster();
    } else if (m) {
      state.bucket = decodeURIComponent(m[1]);
      state.prefix = decodeURIComponent(m[2]);
      await showBucket();
    } else {
      await showBuckets();
    }
  } catch (e) { showError(e.message); }
}

async function showBuckets() {
  show("buckets-view");
  const data = await api("GET", "buckets");
  const rows = $("bucket-rows");
  rows.replaceChildren();
  for (const b of data.buckets || []) {
    const tr = el("tr");
    const td = el("td");
    td.append(el("a", b.name, { href: "#/b/" + encodeURIComponent(b.name) + "/", class: "bucket-link" }));
    tr.append(td, el("td", b.created));
    const act = el("td", undefined, { class: "actions" });
    act.append(button("Delete", "danger", async () => {
      if (!confirm("Delete bucket " + b.name + "?")) return;
      try { await api("DELETE", bucketPath(b.name)); await showBuckets(); } catch (e) { showError(e.message); }
    }));
    tr.append(act);
    rows.append(tr);
  }
}

function crumbs() {
  const c = $("crumbs");
  c.replaceChildren();
  const base = "#/b/" + encodeURIComponent(state.bucket) + "/";
  c.append(el("a", state.bucket, { href: base }), document.createTextNode("/ "));
  let acc = "";
  for (const part of state.prefix.split("/").filter((p) => p)) {
    acc += part + "/";
    c.append(el("a", part, { href: base + encodeURIComponent(acc) }), document.createTextNode("/ "));
  }
}

async function showBucket(append) {
  show("bucket-view");
  $("bucket-title").textContent = state.bucket;
  crumbs();
  if (!append) { state.token = ""; $("object-rows").replaceChildren(); $("share-box").hidden = true; }
  let q = "?prefix=" + encodeURIComponent(state.prefix);
  if (state.token) q += "&token=" + encodeURIComponent(state.token);
  const data = await api("GET", bucketPath(state.bucket) + "/objects" + q);
  const rows = $("object-rows");
  for (const f of data.folders || []) {
    const tr = el("tr", undefined, { class: "folder" });
    const td = el("td");
    td.append(el("a", f.slice(state.prefix.length), { href: "#/b/" + encodeURIComponent(state.bucket) + "/" + encodeURIComponent(f) }));
    tr.append(td, el("td", "—"), el("td", ""), el("td", ""));
    rows.append(tr);
  }
  for (const o of data.objects || []) {
    const tr = el("tr", undefined, { class: "object" });
    tr.dataset.key = o.key;
    tr.append(el("td", o.key.slice(state.prefix.length), { class: "name" }), el("td", human(o.size)), el("td", o.lastModified));
    const act = el("td", undefined, { class: "actions" });
    const href = "api/" + bucketPath(state.bucket) + "/object?key=" + encodeURIComponent(o.key);
    act.append(el("a", "Download", { href, download: "", class: "download" }));
    act.append(button("Share", "share", () => share(o.key)));
    act.append(button("Delete", "danger", async () => {
      if (!confirm("Delete " + o.key + "?")) return;
      try {
        await api("DELETE", bucketPath(state.bucket) + "/object?key=" + encodeURIComponent(o.key));
        await showBucket();
      } catch (e) { showError(e.message); }
    }));
    tr.append(act);
    rows.append(tr);
  }
  state.token = data.nextToken || "";
  $("more").hidden = !state.token;
}

// The users and cluster pages call the admin API, which admits only root.
async function showUsers() {
  show("users-view");
  const users = await api("GET", "users");
  const rows = $("user-rows");
  rows.replaceChildren();
  for (const u of users || []) {
    const tr = el("tr", undefined, { class: "user" });
    tr.dataset.name = u.name;
    tr.append(el("td", u.name), el("td", (u.policies || []).join(", ")), el("td", (u.groups || []).join(", ")));
    const act = el("td", undefined, { class: "actions" });
    act.append(button("New access key", "new-key", async () => {
      try {
        const k = await api("POST", "users/" + encodeURIComponent(u.name) + "/keys", {});
        $("new-key-user").textContent = u.name;
        $("new-key-id").textContent = k.access_key;
        $("new-key-secret").textContent = k.secret_key;
        $("new-key").hidden = false;
      } catch (e) { showError(e.message); }
    }));
    tr.append(act);
    rows.append(tr);
  }
}

async function showCluster() {
  show("cluster-view");
  const st = await api("GET", "cluster");
  $("cluster-summary").textContent = "Answered by node " + st.node_id + " (" + st.name + ")" +
    (st.placement ? "; " + st.placement.settled + " of " + st.placement.groups + " groups at their placement" : "");
  const nodes = $("node-rows");
  nodes.replaceChildren();
  for (const n of st.nodes || []) {
    const tr = el("tr");
    tr.append(el("td", String(n.id)), el("td", n.addr));
    nodes.append(tr);
  }
  const groups = $("group-rows");
  groups.replaceChildren();
  for (const g of st.groups || []) {
    const tr = el("tr", undefined, { class: "group" });
    tr.append(el("td", String(g.id)), el("td", g.leader ? String(g.leader) : "none"), el("td", String(g.term)),
      el("td", String(g.applied)), el("td", (g.voters || []).join(", ")));
    groups.append(tr);
  }
  $("storage").textContent = JSON.stringify(st.storage || {}, null, 2);
}

async function share(key) {
  try {
    const seconds = parseInt($("share-expiry").value, 10);
    const data = await api("POST", bucketPath(state.bucket) + "/share", { key, seconds });
    $("share-box").hidden = false;
    $("share-url").value = data.url;
    $("share-url").dataset.expires = data.expires;
    $("share-url").select();
  } catch (e) { showError(e.message); }
}

function upload(ev) {
  ev.preventDefault();
  showError("");
  const file = $("upload-file").files[0];
  if (!file) return;
  const key = state.prefix + file.name;
  const bar = $("upload-progress");
  const status = $("upload-status");
  bar.hidden = false;
  bar.value = 0;
  bar.dataset.events = "0";
  status.textContent = "uploading " + file.name;
  const xhr = new XMLHttpRequest();
  xhr.open("PUT", "api/" + bucketPath(state.bucket) + "/object?key=" + encodeURIComponent(key));
  xhr.setRequestHeader("X-Anode-Csrf", state.csrf);
  xhr.setRequestHeader("Content-Type", file.type || "application/octet-stream");
  xhr.upload.addEventListener("progress", (e) => {
    if (!e.lengthComputable) return;
    bar.value = Math.floor((e.loaded / e.total) * 100);
    bar.dataset.events = String(parseInt(bar.dataset.events, 10) + 1);
  });
  xhr.addEventListener("load", () => {
    if (xhr.status >= 200 && xhr.status < 300) {
      status.textContent = "uploaded " + file.name;
      showBucket().catch((e) => showError(e.message));
    } else {
      let msg = xhr.statusText;
      try { const d = JSON.parse(xhr.responseText); msg = (d.code ? d.code + ": " : "") + d.error; } catch (_) {}
      status.textContent = "upload failed";
      showError(msg);
    }
  });
  xhr.addEventListener("error", () => { status.textContent = "upload failed"; showError("network error"); });
  xhr.send(file);
}

document.addEventListener("DOMContentLoaded", () => {
  $("login-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    showError("");
    try {
      const s = await api("POST", "login", { accessKey: $("login-access").value, secretKey: $("login-secret").value });
      $("login-secret").value = "";
      loggedIn(s);
    } catch (e) { showError(e.message); }
  });
  $("logout").addEventListener("click", async () => {
    try { await api("POST", "logout"); } catch (_) {}
    loggedOut();
  });
  $("create-bucket-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    showError("");
    try {
      await api("POST", "buckets", { name: $("new-bucket").value });
      $("new-bucket").value = "";
      await showBuckets();
    } catch (e) { showError(e.message); }
  });
  $("upload-form").addEventListener("submit", upload);
  $("create-user-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    showError("");
    try {
      await api("POST", "users", { name: $("new-user").value, policies: [$("new-user-policy").value] });
      $("new-user").value = "";
      $("new-key").hidden = true;
      await showUsers();
    } catch (e) { showError(e.message); }
  });
  $("more").addEventListener("click", () => showBucket(true).catch((e) => showError(e.message)));
  window.addEventListener("hashchange", () => { if (state.csrf) route(); });
  api("GET", "session").then(loggedIn, () => loggedOut());
});
