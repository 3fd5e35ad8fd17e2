// The annotation page: the next comparison, answers by mouse or keyboard, and the history,
// all through the annotation API (/api/v1/). Answers unlock once the video has played to its end.
(function () {
  "use strict";
  const root = document.getElementById("annotate");
  const player = document.getElementById("player");
  const seekbar = document.getElementById("seekbar");
  const playhead = document.getElementById("playhead");
  const status = document.getElementById("status");
  const buttons = Array.from(document.querySelectorAll(".answers button"));
  const csrf = document.querySelector("[name=csrfmiddlewaretoken]").value;
  // The answers, their labels and keys come from the buttons (the server's list of choices).
  const LABELS = Object.fromEntries(buttons.map((b) => [b.dataset.choice, b.dataset.label]));
  const KEYS = Object.fromEntries(buttons.flatMap((b) => b.dataset.keys.split(" ").map((k) => [k, b.dataset.choice])));
  const ASK = "Which face follows the voice better? " +
    buttons.map((b) => `${b.dataset.keys.split(" ")[0]} ${b.dataset.label}`).join(" · ");
  let current = null;   // the comparison on screen
  let watched = false;  // played to the end once
  let loop = null;      // {start, end} while a mark loops
  let sending = false;  // an answer is on its way: no second one
  let shownAt = 0;

  async function api(url, options = {}) {
    const response = await fetch(url, {credentials: "same-origin", ...options,
      headers: {"Content-Type": "application/json", "X-CSRFToken": csrf, ...(options.headers || {})}});
    const body = response.status === 204 ? null : await response.json().catch(() => null);
    return {status: response.status, body, blocked: response.headers.get(root.dataset.blockedHeader)};
  }

  async function loadNext() {
    const {status: code, body, blocked} = await api(root.dataset.nextUrl);
    document.getElementById("task").hidden = code !== 200;
    document.getElementById("empty").hidden = code !== 204 || Boolean(blocked);
    document.getElementById("blocked").hidden = !blocked;
    if (blocked) document.getElementById("blocked-reason").textContent = blocked;
    const warning = document.getElementById("warning");
    warning.textContent = (body && body.warning) || "";
    warning.hidden = !warning.textContent;
    if (code !== 200) return;
    current = body;
    watched = false;
    loop = null;
    buttons.forEach((b) => { b.disabled = true; });
    player.src = body.video;
    player.load();
    document.getElementById("transcript").textContent = body.clip.transcript;
    drawMarks(body.marks, body.duration_s);
    setStatus("Watch to the end to answer. space play/pause · r replay");
    shownAt = performance.now();
    player.focus();
    player.play().catch(() => setStatus("Press space to play."));
  }

  function drawMarks(marks, duration) {
    seekbar.querySelectorAll(".mark").forEach((m) => m.remove());
    for (const mark of marks) {
      const el = document.createElement("button");
      el.className = "mark";
      el.title = `differ most: ${mark.start.toFixed(1)}–${mark.end.toFixed(1)} s`;
      el.setAttribute("aria-label", `loop ${mark.start.toFixed(1)} to ${mark.end.toFixed(1)} seconds, where the two differ most`);
      el.setAttribute("aria-pressed", "false");
      el.style.left = `${(100 * mark.start) / duration}%`;
      el.style.width = `${Math.max(1, (100 * (mark.end - mark.start)) / duration)}%`;
      el.addEventListener("click", (event) => {
        event.stopPropagation();
        const same = loop && loop.start === mark.start;
        loop = same ? null : {start: mark.start, end: mark.end};
        seekbar.querySelectorAll(".mark").forEach((m) => {
          m.classList.remove("looping");
          m.setAttribute("aria-pressed", "false");
        });
        if (loop) {
          el.classList.add("looping");
          el.setAttribute("aria-pressed", "true");
          player.currentTime = loop.start;
          player.play();
        }
        setStatus(loop ? `Looping ${mark.start.toFixed(1)}–${mark.end.toFixed(1)} s.` : "Loop stopped.");
      });
      seekbar.appendChild(el);
    }
  }

  function setStatus(text) { status.textContent = text; }

  async function answer(choice) {
    if (!current || sending) return;
    if (!watched) { setStatus("Watch the video to the end first, then answer."); return; }
    sending = true;
    buttons.forEach((b) => { b.disabled = true; });
    let result;
    try {
      result = await api(root.dataset.judgmentsUrl, {method: "POST", body: JSON.stringify({
        comparison: current.id, choice, watched_to_end: watched, time_ms: Math.round(performance.now() - shownAt)})});
    } catch (error) {  // offline, or the server did not answer: nothing was saved, try again
      result = {status: 0, body: {detail: "the network failed; nothing was saved, answer again"}};
    }
    sending = false;
    const {status: code, body} = result;
    if (code !== 201) {
      setStatus(`Not saved: ${(body && body.detail) || code}`);
      buttons.forEach((b) => { b.disabled = false; });
      return;
    }
    await loadHistory();
    bump("done-today", 1);
    bump("remaining", -1);
    await loadNext();
  }

  function bump(id, delta) {
    const el = document.getElementById(id);
    el.textContent = Math.max(0, Number(el.textContent) + delta);
  }

  async function loadHistory() {
    const {status: code, body} = await api(root.dataset.judgmentsUrl);
    if (code !== 200) return;
    const rows = body.slice(0, 10).map((j) => {
      const tr = document.createElement("tr");
      tr.dataset.id = j.id;
      const when = new Date(j.created_at).toLocaleTimeString([], {hour: "2-digit", minute: "2-digit"});
      tr.innerHTML = `<td>${when}</td><td>comparison ${j.comparison}</td><td class="choice">${LABELS[j.choice]}</td><td></td>`;
      if (j.changeable) {
        const select = document.createElement("select");
        select.setAttribute("aria-label", `change answer ${j.id}`);
        for (const [value, label] of Object.entries(LABELS)) select.add(new Option(label, value, false, value === j.choice));
        select.addEventListener("change", async () => {
          const result = await api(`${root.dataset.judgmentsUrl}/${j.id}`, {method: "PATCH",
            body: JSON.stringify({choice: select.value})});
          tr.querySelector(".choice").textContent = result.status === 200 ? LABELS[select.value] : "not changed";
        });
        tr.lastChild.appendChild(select);
      }
      return tr;
    });
    document.querySelector("#history tbody").replaceChildren(...rows);
  }

  player.addEventListener("ended", () => {
    watched = true;
    buttons.forEach((b) => { b.disabled = false; });
    setStatus(ASK);
  });
  player.addEventListener("timeupdate", () => {
    if (loop && player.currentTime >= loop.end) player.currentTime = loop.start;
    if (player.duration) playhead.style.left = `${(100 * player.currentTime) / player.duration}%`;
  });
  seekbar.addEventListener("click", (event) => {
    if (!player.duration) return;
    const box = seekbar.getBoundingClientRect();
    player.currentTime = ((event.clientX - box.left) / box.width) * player.duration;
  });
  buttons.forEach((b) => b.addEventListener("click", () => answer(b.dataset.choice)));
  document.getElementById("show-transcript").addEventListener("change", (event) => {
    document.getElementById("transcript").hidden = !event.target.checked;
  });
  document.addEventListener("keydown", (event) => {
    if (event.target.tagName === "SELECT" || event.target.tagName === "INPUT") return;
    if (event.ctrlKey || event.metaKey || event.altKey) return;  // a browser shortcut, not an answer
    if (event.target.tagName === "BUTTON" && (event.key === " " || event.key === "Enter")) return;  // press it
    if (event.key === " ") { event.preventDefault(); if (player.paused) player.play(); else player.pause(); return; }
    if (event.key === "r") { loop = null; player.currentTime = 0; player.play(); return; }
    if (KEYS[event.key]) { event.preventDefault(); answer(KEYS[event.key]); }
  });

  loadHistory();
  loadNext();
})();
