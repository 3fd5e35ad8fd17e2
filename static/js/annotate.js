// The annotation page: the next comparison, answers by mouse or keyboard, and the history,
// all through the annotation API (/api/v1/). Answers unlock once the video has played to its end.
// Segment votes: one row per marked stretch (Tab, s or Shift+its number selects one; then 1 left better, 2 right
// better, 0 same; l loops it, h replays it at half speed; Esc back to the whole clip). Without a
// stretch selected, the keys answer the whole clip; with DSER_SEGMENT_VOTES=required that waits
// until every stretch is answered.
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
  const segmentRows = document.getElementById("segments");
  const SEGMENT_KEYS = {"1": "left", "2": "right", "0": "same"};
  const SEGMENT_LABELS = {left: "left better", same: "same", right: "right better"};
  let segmentAnswers = {};  // stretch index -> left | right | same
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
    segmentAnswers = {};
    buttons.forEach((b) => { b.disabled = true; });
    player.src = body.video;
    player.playbackRate = 1;
    player.load();
    document.getElementById("transcript").textContent = body.clip.transcript;
    drawMarks(body.marks, body.duration_s);
    drawSegments(body.segments);
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
      el.dataset.start = mark.start;
      el.addEventListener("click", (event) => {
        event.stopPropagation();
        toggleLoop(mark.start, mark.end);
      });
      seekbar.appendChild(el);
    }
  }

  // Loop [start, end) (again: stop), at `rate` times normal speed; marks and rows show which.
  function toggleLoop(start, end, rate = 1) {
    const same = loop && loop.start === start && player.playbackRate === rate;
    loop = same ? null : {start, end};
    player.playbackRate = loop ? rate : 1;
    document.querySelectorAll("#seekbar .mark, #segments .loop, #segments .slow").forEach((el) => {
      const on = Boolean(loop) && Number(el.dataset.start) === start && (!el.dataset.rate || Number(el.dataset.rate) === rate);
      el.classList.toggle("looping", on);
      el.setAttribute("aria-pressed", String(on));
    });
    if (loop) { player.currentTime = start; player.play(); }
    const speed = rate === 1 ? "" : " at half speed";
    setStatus(loop ? `Looping ${start.toFixed(1)}–${end.toFixed(1)} s${speed}.` : "Loop stopped.");
  }

  function drawSegments(segments) {
    segmentRows.replaceChildren(...segments.map(segmentRow));
    segmentRows.hidden = segments.length === 0;
    document.getElementById("segments-hint").hidden = segments.length === 0;
  }

  function segmentRow(segment) {
    const row = document.createElement("div");
    const range = `${segment.start_s.toFixed(1)}–${segment.end_s.toFixed(1)} s`;
    row.className = "segment";
    row.tabIndex = 0;
    row.dataset.index = segment.index;
    row.setAttribute("role", "group");
    row.setAttribute("aria-label", `stretch ${segment.index}, ${range}: 1 left better, 2 right better, 0 same`);
    row.innerHTML = `<span class="range">${segment.index} · ${range}</span>`;
    const control = (className, text, onClick) => {
      const button = document.createElement("button");
      button.className = className;
      button.textContent = text;
      button.tabIndex = -1;  // Tab goes row to row; keys act on the selected row
      button.addEventListener("click", (event) => { event.stopPropagation(); onClick(); });
      row.appendChild(button);
      return button;
    };
    for (const [className, label, rate] of [["loop", "loop", 1], ["slow", "½ speed", 0.5]]) {
      const button = control(className, label, () => toggleLoop(segment.start_s, segment.end_s, rate));
      Object.assign(button.dataset, {start: segment.start_s, rate});
      button.setAttribute("aria-pressed", "false");
    }
    for (const [key, choice] of Object.entries(SEGMENT_KEYS)) {
      const button = control("choice", SEGMENT_LABELS[choice], () => answerSegment(row, choice));
      button.dataset.choice = choice;
      button.innerHTML += ` <kbd>${key}</kbd>`;
    }
    row.querySelectorAll(".choice").forEach((b) => { b.disabled = true; });
    return row;
  }

  function answerSegment(row, choice) {
    if (!watched) { setStatus("Watch the video to the end first, then answer."); return; }
    segmentAnswers[row.dataset.index] = choice;
    row.classList.add("answered");
    row.querySelectorAll(".choice").forEach((b) => b.setAttribute("aria-pressed", String(b.dataset.choice === choice)));
    const next = Array.from(segmentRows.children).find((r) => !(r.dataset.index in segmentAnswers));
    if (next) next.focus(); else player.focus();  // all answered: the keys answer the whole clip again
    unlockAnswers();
  }

  function missingSegments() {
    if (!current || current.segment_votes !== "required") return 0;
    return current.segments.filter((s) => !(s.index in segmentAnswers)).length;
  }

  function unlockAnswers() {
    const missing = missingSegments();
    buttons.forEach((b) => { b.disabled = !watched || missing > 0; });
    segmentRows.querySelectorAll(".choice").forEach((b) => { b.disabled = !watched; });
    setStatus(missing ? `Answer every stretch first (${missing} left): Tab or s selects one.` : ASK);
  }

  function setStatus(text) { status.textContent = text; }

  async function answer(choice) {
    if (!current || sending) return;
    if (!watched) { setStatus("Watch the video to the end first, then answer."); return; }
    if (missingSegments()) { unlockAnswers(); return; }
    sending = true;
    buttons.forEach((b) => { b.disabled = true; });
    const segments = Object.entries(segmentAnswers).map(([index, answer]) => ({index: Number(index), choice: answer}));
    let result;
    try {
      result = await api(root.dataset.judgmentsUrl, {method: "POST", body: JSON.stringify({
        comparison: current.id, choice, segments, watched_to_end: watched,
        time_ms: Math.round(performance.now() - shownAt)})});
    } catch (error) {  // offline, or the server did not answer: nothing was saved, try again
      result = {status: 0, body: {detail: "the network failed; nothing was saved, answer again"}};
    }
    sending = false;
    const {status: code, body} = result;
    if (code !== 201) {
      unlockAnswers();
      setStatus(`Not saved: ${(body && body.detail) || code}`);
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
    unlockAnswers();
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
    if (event.key === "r") { loop = null; player.playbackRate = 1; player.currentTime = 0; player.play(); return; }
    const rows = Array.from(segmentRows.children);
    const numbered = event.shiftKey && /^Digit[1-9]$/.test(event.code) && rows[Number(event.code.slice(5)) - 1];
    if (numbered) { event.preventDefault(); numbered.focus(); return; }  // Shift + a stretch's number
    if (event.key === "s" && rows.length) {  // the next stretch (after the last: the whole clip)
      const at = rows.indexOf(event.target.closest(".segment"));
      if (at + 1 < rows.length) rows[at + 1].focus(); else player.focus();
      return;
    }
    const row = event.target.closest(".segment");
    if (row) {
      const segment = current.segments.find((s) => String(s.index) === row.dataset.index);
      if (event.key === "Escape") { player.focus(); return; }
      if (event.key === "l") { toggleLoop(segment.start_s, segment.end_s); return; }
      if (event.key === "h") { toggleLoop(segment.start_s, segment.end_s, 0.5); return; }
      if (SEGMENT_KEYS[event.key]) { event.preventDefault(); answerSegment(row, SEGMENT_KEYS[event.key]); return; }
    }
    if (KEYS[event.key]) { event.preventDefault(); answer(KEYS[event.key]); }
  });

  loadHistory();
  loadNext();
})();
