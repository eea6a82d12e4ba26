// The class board: polls /api/board and redraws. Everything shown is set with textContent,
// never parsed as HTML: names and messages come from students' labs.
"use strict";

const POLL_MS = 2000;
const WORDS = {
  pass: "cumprido", fail: "falta", skip: "não verificável", unreachable: "inacessível",
  error: "erro de leitura", waiting: "aguardando a primeira correção",
};
const SYMBOLS = { pass: "✔", fail: "✘", skip: "–", unreachable: "⊘", error: "!", waiting: "·" };
const STATUS = {
  passed: "aprovado", failed: "em andamento", unreachable: "inacessível", error: "erro",
  waiting: "aguardando",
};

let etag = null;
let board = null;
let clockOffset = 0; // server clock minus this browser's, in seconds
let selected = decodeURIComponent((location.hash.match(/^#aluno=(.*)$/) || [])[1] || "") || null;
let detailTag = null;

function el(tag, props, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value);
  }
  for (const child of children) {
    if (child !== null && child !== undefined) {
      node.append(typeof child === "string" ? document.createTextNode(child) : child);
    }
  }
  return node;
}

function score(value) {
  if (value === null || value === undefined) return "—";
  return Number(value).toLocaleString("pt-BR", { maximumFractionDigits: 1 });
}

function serverNow() { return Date.now() / 1000 + clockOffset; }

function ago(when) {
  if (!when) return "—";
  const s = Math.max(0, Math.round(serverNow() - when));
  if (s < 5) return "agora";
  if (s < 60) return `há ${s} s`;
  if (s < 3600) return `há ${Math.floor(s / 60)} min`;
  return `há ${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

function clock(when) {
  return new Date(when * 1000).toLocaleTimeString("pt-BR", { hour: "2-digit", minute: "2-digit" });
}

function roundLine(data) {
  const r = data.round;
  const parts = [];
  if (r.number === 0) parts.push("Primeira rodada de correção começando…");
  else {
    parts.push(`Rodada ${r.number}: ${r.graded} de ${r.total} laboratórios corrigidos`);
    if (r.stopped) parts.push("correção parada");
    else if (r.next_at) {
      const s = Math.max(0, Math.round(r.next_at - serverNow()));
      parts.push(s > 0 ? `próxima em ${s} s` : "próxima começando");
    } else parts.push("em andamento");
  }
  parts.push(`a cada ${score(r.every)} s`);
  return parts.join(" · ");
}

function renderHeader(data) {
  document.title = `${data.exercise.title} — quadro da turma`;
  document.getElementById("title").textContent = data.exercise.title;
  document.getElementById("round").textContent = roundLine(data);
  const problem = document.getElementById("problem");
  problem.hidden = !data.round.problem;
  problem.textContent = data.round.problem || "";
  const counts = document.getElementById("counts");
  const labels = [["passed", "aprovados"], ["failed", "em andamento"],
    ["unreachable", "inacessíveis"], ["error", "com erro"], ["waiting", "aguardando"]];
  counts.replaceChildren(...labels.filter(([k]) => data.counts[k] > 0 || k === "passed")
    .map(([k, label]) => el("li", { "data-count": k, text: `${data.counts[k]} ${label}` })));
  document.getElementById("scale-rule").textContent = data.scale_rule;
}

function renderSteps(data) {
  const total = data.students.length || 1;
  const most = Math.max(0, ...data.steps.map((s) => s.stuck));
  document.getElementById("steps").replaceChildren(...data.steps.map((s) => {
    const bar = el("span", { class: "bar", role: "img",
      "aria-label": `${s.passed} de ${data.students.length} cumprem` });
    const done = el("span", { class: "done" });
    done.style.width = `${(100 * s.passed) / total}%`; // CSSOM: allowed by the CSP, unlike style=""
    bar.append(done);
    const stuck = s.stuck ? el("span", { class: "stuck", text: `${s.stuck} parado(s) aqui` }) : null;
    return el("li", { class: s.stuck && s.stuck === most ? "hot" : "", "data-step": s.id },
      el("span", { class: "name", title: s.title, text: `${s.number}. ${s.title}` }), bar,
      el("span", {}, `${s.passed}/${data.students.length}`, stuck ? " · " : null, stuck));
  }));
}

function renderMatrix(data) {
  const head = [el("th", { class: "student", scope: "col", text: "aluno" })];
  for (const s of data.steps) {
    head.push(el("th", { scope: "col", title: `${s.number}. ${s.title} (${s.points} pontos)`,
      text: String(s.number) }));
  }
  head.push(el("th", { scope: "col", text: `nota (de ${data.exercise.scale})` }),
    el("th", { scope: "col", text: "mudou" }));
  document.getElementById("matrix-head").replaceChildren(...head);
  const focused = document.activeElement && document.activeElement.dataset
    ? document.activeElement.dataset.student : undefined;
  const rows = data.students.map((st) => {
    const button = el("button", { type: "button", "data-student": st.student,
      onclick: () => select(st.student) }, st.student);
    const cells = st.cells.map((c, i) => {
      const step = data.steps[i];
      const first = st.first_passed[step.id];
      const when = first ? ` (cumprido pela primeira vez às ${clock(first)})` : "";
      return el("td", { "data-step": step.id },
        el("span", { class: `cell ${c}`, title: `${step.number}. ${step.title}: ${WORDS[c]}${when}`,
          "aria-label": `${step.number}: ${WORDS[c]}` }, SYMBOLS[c]));
    });
    const row = el("tr", { "data-student": st.student, "data-status": st.status,
      class: st.student === selected ? "selected" : "" },
      el("td", { class: "student", title: st.detail || STATUS[st.status] }, button,
        ["unreachable", "error"].includes(st.status)
          ? el("span", { class: `why ${st.status}`, text: ` ${SYMBOLS[st.status]} ${STATUS[st.status]}` })
          : null),
      ...cells,
      el("td", { class: "score", title: st.best !== null ? `melhor: ${score(st.best)}` : "" },
        score(st.score)),
      el("td", { class: "age", "data-changed": st.changed_at || "" }, ago(st.changed_at)));
    return row;
  });
  document.getElementById("matrix-body").replaceChildren(...rows);
  if (focused) {
    const again = document.querySelector(`button[data-student="${CSS.escape(focused)}"]`);
    if (again) again.focus();
  }
}

function renderAges() {
  for (const cell of document.querySelectorAll("td.age")) {
    cell.textContent = ago(Number(cell.dataset.changed) || null);
  }
  if (board) document.getElementById("round").textContent = roundLine(board);
}

function renderDetail(data) {
  const section = document.getElementById("detail");
  section.hidden = false;
  document.getElementById("detail-title").textContent = `${data.student} — ${STATUS[data.status]}`;
  document.getElementById("detail-summary").textContent =
    `Nota ${score(data.score)} de ${data.scale} (melhor: ${score(data.best)}) · ` +
    `${data.attempts} correção(ões) · última ${ago(data.graded_at)} · ` +
    `resultado mudou ${ago(data.changed_at)}`;
  const problem = document.getElementById("detail-problem");
  const problems = [data.detail, ...data.problems].filter(Boolean);
  problem.hidden = problems.length === 0;
  problem.textContent = [...new Set(problems)].join("; ");
  document.getElementById("detail-steps").replaceChildren(...data.steps.map((s) => {
    const first = s.first_passed ? el("span", { class: "when",
      text: `cumprido pela primeira vez às ${clock(s.first_passed)}` }) : null;
    return el("li", { "data-step": s.id },
      el("span", { class: `cell ${s.cell}`, text: SYMBOLS[s.cell] }), " ",
      el("strong", { text: s.title }), ` — ${WORDS[s.cell]}, ${s.points}/${s.max_points}`,
      s.message ? el("span", { class: "msg", text: s.message }) : null,
      s.hint ? el("span", { class: "hint", text: `Dica: ${s.hint}` }) : null, first);
  }));
}

async function loadDetail(force) {
  if (!selected) return;
  try {
    const headers = detailTag && !force ? { "If-None-Match": detailTag } : {};
    const response = await fetch(`/api/student/${encodeURIComponent(selected)}`,
      { cache: "no-store", headers });
    if (response.status === 304) return;
    if (!response.ok) {
      document.getElementById("detail").hidden = false;
      document.getElementById("detail-title").textContent = selected;
      document.getElementById("detail-summary").textContent = "Ainda sem correção gravada.";
      document.getElementById("detail-steps").replaceChildren();
      return;
    }
    detailTag = response.headers.get("ETag");
    renderDetail(await response.json());
  } catch (error) { /* the board's poll reports lost contact */ }
}

function select(name) {
  selected = name;
  detailTag = null;
  history.replaceState(null, "", `#aluno=${encodeURIComponent(name)}`);
  for (const row of document.querySelectorAll("#matrix-body tr")) {
    row.classList.toggle("selected", row.dataset.student === name);
  }
  loadDetail(true).then(() => document.getElementById("detail").scrollIntoView({ block: "nearest" }));
}

async function poll() {
  try {
    const response = await fetch("/api/board", { cache: "no-store",
      headers: etag ? { "If-None-Match": etag } : {} });
    if (response.status === 200) {
      etag = response.headers.get("ETag");
      board = await response.json();
      clockOffset = board.now - Date.now() / 1000;
      renderHeader(board);
      renderSteps(board);
      renderMatrix(board);
      await loadDetail(false);
    } else if (response.status !== 304) {
      throw new Error(String(response.status));
    }
    document.body.dataset.live = "yes";
    renderAges();
  } catch (error) {
    document.body.dataset.live = "no";
    document.getElementById("round").textContent =
      "Sem contato com o labcheck class watch — tentando de novo…";
  } finally {
    setTimeout(poll, POLL_MS);
  }
}

document.getElementById("detail-close").addEventListener("click", () => {
  selected = null;
  document.getElementById("detail").hidden = true;
  history.replaceState(null, "", location.pathname);
  for (const row of document.querySelectorAll("#matrix-body tr")) row.classList.remove("selected");
});
poll();
