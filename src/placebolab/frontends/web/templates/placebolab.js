/* placebolab's page script, served by the study's own server (/static/placebolab.js; no other request, no
   inline script: the Content-Security-Policy allows neither). Every page works without it; with it:

   - timing: the onset is performance.now() in the first animation frame after the page was painted; the
     time to Continue runs from it; how often and how long the page was hidden (tab switched away), the
     window's size, devicePixelRatio, the display's refresh (median interval of the first 60 animation
     frames) and the user agent are posted with the form as one JSON field, "client"
     (frontends/web/client.py checks it: the server trusts nothing it says);
   - questions: Continue stays disabled until every question is answered; a slider (a VAS, a long NRS with the
     number chosen above it) shows no handle until it is first touched, clicked or moved with a key (no
     default to anchor on); when each answer was last set and how often are reported;
   - a sound or film plays once to its end: a seek forward and a change of speed are undone, the player's
     events are reported, and Continue is unlocked at its "ended" event (or if the browser cannot play it).

   - a page that continues by itself reloads when due, with a countdown;
   - what was entered on a step's page is kept in this tab until the step is answered (a Continue whose POST
     never reached the server, a reload): "what is entered stays" below.

   What it says to the participant comes from the page (data-say-* attributes), never from here. */
(function () {
  "use strict";

  // a page restored from the browser's back-forward cache shows what was current then: ask the server anew
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) {
      window.location.reload();
    }
  });

  // --- a page that continues by itself (a scheduled step, a timed pause or picture): reloaded when due,
  // counting down meanwhile (without JavaScript, a meta refresh in <noscript> reloads it) ---------------
  var refresh = document.body.getAttribute("data-refresh");
  if (refresh !== null) {
    var shown = performance.now();
    var url = document.body.getAttribute("data-refresh-url") || window.location.href;
    window.setTimeout(function () { window.location.replace(url); }, Number(refresh) * 1000 + 100);
    var countdown = document.querySelector("[data-countdown]");
    if (countdown) {
      var due = Number(countdown.getAttribute("data-countdown"));
      window.setInterval(function () {
        var seconds = Math.max(1, Math.ceil(due - (performance.now() - shown) / 1000));
        var text = seconds < 90
          ? countdown.getAttribute("data-say-seconds").replace("{n}", String(seconds))
          : countdown.getAttribute("data-say-minutes").replace("{n}", String(Math.ceil(seconds / 60)));
        if (countdown.textContent !== text) {
          countdown.textContent = text;
        }
      }, 1000);
    }
  }

  // --- what is entered stays: a copy of the step's form in this tab (sessionStorage) -----------------------
  // A Continue whose POST never reaches the server (the server down, the network gone) leaves the browser's
  // error page; back there, or at the link again, the page is fetched anew (no-store) with nothing entered.
  // One copy per tab, bound to its form (where it posts: the link; and the step's key), saved at every input,
  // put back only into that form and only where the page itself shows nothing (the server's page is the
  // truth). It is forgotten when any other page of the study loads (another step, the start or the done page:
  // the step was answered, or the tab went to another link), never at Continue, whose POST may be the one lost;
  // an error page (data-error) says nothing of where the link stands and forgets nothing.
  var DRAFT = "placebolab-draft";

  function readDraft() {
    try {
      var draft = JSON.parse(window.sessionStorage.getItem(DRAFT));
      return draft && typeof draft.form === "string" && draft.values && typeof draft.values === "object" ? draft : null;
    } catch (error) { // no storage (a private mode, a policy) or not ours: nothing kept
      return null;
    }
  }

  function writeDraft(draft) { // null: forget it
    try {
      if (draft === null) {
        window.sessionStorage.removeItem(DRAFT);
      } else {
        window.sessionStorage.setItem(DRAFT, JSON.stringify(draft));
      }
    } catch (error) { // no storage, or full: the page works as without the copy
    }
  }

  function binding(form) { // where the form posts and what it names; not its onset or signature (renewed by a reload)
    var parts = [form.getAttribute("action")];
    Array.prototype.forEach.call(form.querySelectorAll("input[type=hidden]"), function (field) {
      if (field.name !== "onset" && field.name !== "csrf" && field.name !== "client") {
        parts.push(field.name + "=" + field.value);
      }
    });
    return parts.join("\n");
  }

  function keptFields(form) { // what a person enters: not hidden fields, nor the honeypot (aria-hidden: no person's)
    return Array.prototype.filter.call(form.elements, function (field) {
      return field.name && ["radio", "checkbox", "number", "text"].indexOf(field.type) >= 0 &&
        !field.closest("[aria-hidden=true]");
    });
  }

  function entered(form) { // field name → value (a checkbox's own name: one per statement)
    var values = {};
    keptFields(form).forEach(function (field) {
      var on = field.type === "radio" || field.type === "checkbox";
      if (on ? field.checked : field.value !== "") {
        values[field.name] = field.value;
      }
    });
    return values;
  }

  function restore(form, values) { // fills in what the page shows empty; the names filled in
    var shown = entered(form);
    var filled = {};
    keptFields(form).forEach(function (field) {
      var value = values[field.name];
      if (typeof value !== "string" || Object.prototype.hasOwnProperty.call(shown, field.name)) {
        return;
      }
      if (field.type !== "radio" && field.type !== "checkbox") {
        field.value = value; // a number input takes "" for what is no number
        if (field.value !== "") {
          filled[field.name] = true;
        }
      } else if (field.value === value) {
        field.checked = true;
        filled[field.name] = true;
      }
    });
    return filled;
  }

  var form = document.querySelector("form[data-step]");
  var bound = form ? binding(form) : null;
  var kept = readDraft();
  var restored = {}; // fields filled in from the copy and not set again on this page (the report says which)
  if (kept !== null && kept.form === bound) {
    restored = restore(form, kept.values);
  } else if (kept !== null && !document.body.hasAttribute("data-error")) {
    writeDraft(null);
  }
  if (!form) {
    return;
  }

  function saveDraft() {
    var values = entered(form);
    writeDraft(Object.keys(values).length ? { form: bound, values: values } : null);
  }
  saveDraft(); // the copy is what the page shows (the server's answers, if it showed the form again with them)
  form.addEventListener("input", saveDraft);
  form.addEventListener("change", saveDraft);

  var button = form.querySelector("button[type=submit]");
  var needed = form.querySelector("[data-needed]");
  var player = document.querySelector("[data-media]");
  var questions = Array.prototype.slice.call(form.querySelectorAll("[data-question]"));

  var onset = null;
  var frames = [];
  var hiddenCount = 0;
  var hiddenMs = 0;
  var hiddenSince = null;
  var answerMs = {};
  var changes = {};
  var media = player ? { ended: false, error: null, events: [], furthest: 0 } : null;
  var sent = false;

  function since() {
    return onset === null ? 0 : performance.now() - onset;
  }

  function round(x, digits) {
    var f = Math.pow(10, digits);
    return Math.round(x * f) / f;
  }

  // --- onset and refresh: the frame after the first paint, then 60 more frames -------------------------
  function sample(t) {
    frames.push(t);
    if (frames.length < 61) {
      requestAnimationFrame(sample);
    }
  }
  requestAnimationFrame(function () {
    requestAnimationFrame(function (t) {
      onset = performance.now();
      sample(t);
    });
  });

  function refreshHz() {
    var intervals = [];
    for (var i = 1; i < frames.length; i++) {
      if (frames[i] > frames[i - 1]) {
        intervals.push(frames[i] - frames[i - 1]);
      }
    }
    if (intervals.length < 10) {
      return null;
    }
    intervals.sort(function (a, b) { return a - b; });
    return round(1000 / intervals[Math.floor(intervals.length / 2)], 1);
  }

  // --- visibility: the page hidden after its onset (another tab, a minimised window) -----------------
  document.addEventListener("visibilitychange", function () {
    if (onset === null) {
      return;
    }
    if (document.visibilityState === "hidden" && hiddenSince === null) {
      hiddenCount += 1;
      hiddenSince = performance.now();
    } else if (document.visibilityState === "visible" && hiddenSince !== null) {
      hiddenMs += performance.now() - hiddenSince;
      hiddenSince = null;
    }
  });

  // --- questions --------------------------------------------------------------------------------------
  function answered(question) {
    if (question.querySelector("input[type=radio]:checked, [data-slider-na]:checked")) {
      return true;
    }
    var typed = question.querySelector("[data-slider-value]");
    return Boolean(typed && typed.value !== "");
  }

  function noteAnswer(name) {
    delete restored[name];
    answerMs[name] = round(since(), 1);
    changes[name] = (changes[name] || 0) + 1;
  }

  questions.forEach(function (question) {
    question.addEventListener("change", function (event) {
      if (event.target.type === "radio") {
        noteAnswer(event.target.name);
        update();
      }
    });
  });

  Array.prototype.forEach.call(form.querySelectorAll("[data-slider]"), function (slider) {
    var scale = slider.querySelector(".slider-scale");
    var range = slider.querySelector("input[type=range]");
    var typed = slider.querySelector("[data-slider-value]");
    var readout = slider.querySelector("[data-slider-readout]"); // a long NRS: the number chosen
    var na = slider.querySelector("[data-slider-na]"); // its "does not apply" box, where the scale offers one
    var touched = false;
    function show() {
      if (readout) {
        readout.textContent = touched ? range.value : "";
      }
    }
    function touch() {
      if (!touched) {
        touched = true;
        range.classList.remove("untouched");
        range.removeAttribute("aria-valuetext");
      }
      if (na && na.checked) { // a value on the line replaces "does not apply"
        na.checked = false;
        saveDraft();
      }
    }
    function untouch() { // "does not apply" ticked: no value on the line
      touched = false;
      typed.value = "";
      range.value = ""; // a new slider's middle again: any key moves it, so gives its value
      range.classList.add("untouched");
      range.setAttribute("aria-valuetext", range.getAttribute("data-say-untouched"));
      show();
    }
    var moved = false; // set since the last counted change (a drag sets it many times, counted once)
    function follow() { // while it moves: the answer and its time follow the handle
      if (touched && typed.value !== range.value) {
        typed.value = range.value;
        delete restored[typed.name];
        answerMs[typed.name] = round(since(), 1);
        moved = true;
        show();
        saveDraft(); // set by the script, not typed: no input event of its own
        update();
      }
    }
    function take() { // once it is let go (or a key moved it): one more setting of the answer
      follow();
      if (moved) {
        changes[typed.name] = (changes[typed.name] || 0) + 1;
        moved = false;
      }
    }
    scale.hidden = false;
    slider.querySelector(".slider-entry").hidden = true;
    typed.required = false; // hidden from view: Continue waits for it instead
    if (typed.value !== "") { // the server asked again (another answer was missing), or the copy kept it: touched
      range.value = typed.value;
      touch();
      show();
    } else {
      range.setAttribute("aria-valuetext", range.getAttribute("data-say-untouched"));
    }
    range.addEventListener("pointerdown", touch);
    range.addEventListener("keydown", function (event) {
      var keys = ["ArrowLeft", "ArrowRight", "ArrowUp", "ArrowDown", "PageUp", "PageDown", "Home", "End"];
      if (keys.indexOf(event.key) >= 0) {
        touch();
      }
    });
    range.addEventListener("input", follow);
    range.addEventListener("change", take);
    range.addEventListener("pointerup", function () {
      touch();
      take();
    });
    if (na && restored[na.name]) { // the box filled in from the copy: the item's answer was (reported by its field)
      delete restored[na.name];
      restored[typed.name] = true;
    }
    if (na) {
      na.addEventListener("change", function () {
        if (na.checked) {
          untouch();
        }
        noteAnswer(typed.name); // the item's answer, whichever control gave it
        update();
      });
    }
  });

  // --- a sound or film: played once to its end --------------------------------------------------------
  function log(name, position) {
    if (media.events.length < 500) {
      media.events.push([name, round(since(), 1), round(position, 3)]);
    }
  }

  if (player) {
    player.addEventListener("play", function () { log("play", player.currentTime); });
    player.addEventListener("pause", function () {
      if (!player.ended) { // the pause the end brings is no pause of the participant's
        log("pause", player.currentTime);
      }
    });
    player.addEventListener("waiting", function () { log("stall", player.currentTime); });
    player.addEventListener("timeupdate", function () {
      if (!player.seeking && player.currentTime > media.furthest) {
        media.furthest = player.currentTime;
      }
    });
    player.addEventListener("seeking", function () {
      if (player.currentTime > media.furthest + 0.3) { // beyond what was played (timeupdate lags up to 250 ms)
        log("seek_blocked", player.currentTime);
        player.currentTime = media.furthest;
      } else if (player.currentTime < media.furthest - 0.5) {
        log("seek_back", player.currentTime);
      }
    });
    player.addEventListener("ratechange", function () {
      if (player.playbackRate !== 1) {
        log("rate_blocked", player.currentTime);
        player.playbackRate = 1;
      }
    });
    player.addEventListener("ended", function () {
      media.ended = true;
      media.furthest = player.duration;
      log("ended", player.currentTime);
      update();
    });
    var failed = function () {
      if (media.error === null) {
        media.error = player.error ? player.error.code : 0;
        log("error", player.currentTime || 0);
        update();
      }
    };
    player.addEventListener("error", failed);
    if (player.error) { // it failed before this script ran (scripts run once the page is read)
      failed();
    }
  }

  // --- Continue ---------------------------------------------------------------------------------------
  function update() {
    var left = questions.filter(function (q) { return !answered(q); }).length;
    var message = "";
    if (left > 0) {
      message = form.getAttribute("data-say-questions").replace("{left}", String(left));
    } else if (media && media.error !== null) {
      message = form.getAttribute("data-say-unplayable");
    } else if (media && !media.ended) {
      message = form.getAttribute("data-say-media");
    }
    var locked = left > 0 || (media !== null && !media.ended && media.error === null);
    button.disabled = locked || sent;
    if (needed.textContent !== message) {
      needed.textContent = message;
    }
  }

  form.addEventListener("submit", function (event) {
    update();
    if (button.disabled) {
      event.preventDefault();
      return;
    }
    var now = performance.now();
    var report = {
      onset_ms: onset === null ? null : round(onset, 1),
      rt_ms: onset === null ? null : round(now - onset, 1),
      hidden_count: hiddenCount,
      hidden_ms: round(hiddenMs + (hiddenSince === null ? 0 : now - hiddenSince), 1),
      window: [window.innerWidth, window.innerHeight],
      pixel_ratio: window.devicePixelRatio,
      refresh_hz: refreshHz(),
      user_agent: navigator.userAgent,
      answer_ms: answerMs,
      changes: changes
    };
    if (Object.keys(restored).length) {
      report.restored = Object.keys(restored);
    }
    if (media) {
      report.media = { ended: media.ended, error: media.error, events: media.events };
    }
    var field = form.querySelector("input[name=client]");
    if (!field) {
      field = document.createElement("input");
      field.type = "hidden";
      field.name = "client";
      form.appendChild(field);
    }
    field.value = JSON.stringify(report);
    sent = true;
    window.setTimeout(function () { button.disabled = true; }, 0); // a second click sends nothing
  });

  update();
})();
