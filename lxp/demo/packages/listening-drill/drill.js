/* A three-call listening drill: SCORM 2004, resumable through suspend data. */
var CALLS = [
  { caller: "Mrs Okafor", line: "I have called three times and nobody ever calls back.",
    choices: ["Our policy is to answer within five days.", "Three calls and no answer: that is frustrating. Let me take this on now.", "Can I have your customer number?"], right: 1 },
  { caller: "Mr Berger", line: "The invoice is wrong again, I am tired of checking every line.",
    choices: ["So you have to check every invoice yourself; that costs you time each month.", "Invoices are generated automatically.", "Which line is wrong?"], right: 0 },
  { caller: "Ms Lind", line: "I just want to know when the engineer arrives.",
    choices: ["The engineer will come between 8 and 6.", "Please be patient.", "You need a time you can plan around. Let me find the exact slot."], right: 2 }
];
window.addEventListener("DOMContentLoaded", function () {
  var api = window.API_1484_11;
  var state = { at: 0, right: 0 };
  if (!api) { document.getElementById("line").textContent = "This drill needs an LMS to run in."; return; }
  api.Initialize("");
  try { if (api.GetValue("cmi.suspend_data")) state = JSON.parse(api.GetValue("cmi.suspend_data")); } catch (e) { /* start afresh */ }
  var started = Date.now();
  function seconds() { return "PT" + Math.round((Date.now() - started) / 1000) + "S"; }
  function save() {
    api.SetValue("cmi.suspend_data", JSON.stringify(state));
    api.SetValue("cmi.location", "call-" + (state.at + 1));
    api.SetValue("cmi.progress_measure", String(Math.min(state.at / CALLS.length, 1)));
    api.Commit("");
  }
  function finish() {
    var scaled = state.right / CALLS.length;
    api.SetValue("cmi.score.scaled", scaled.toFixed(2));
    api.SetValue("cmi.score.raw", String(state.right));
    api.SetValue("cmi.score.min", "0");
    api.SetValue("cmi.score.max", String(CALLS.length));
    api.SetValue("cmi.completion_status", "completed");
    api.SetValue("cmi.success_status", scaled >= 0.66 ? "passed" : "failed");
    api.SetValue("cmi.session_time", seconds());
    api.SetValue("cmi.exit", "normal");
    api.Commit("");
    api.Terminate("");
    document.getElementById("caller").textContent = scaled >= 0.66 ? "Well listened." : "Worth another go.";
    document.getElementById("line").textContent = state.right + " of " + CALLS.length + " answers showed the caller they were heard.";
    document.getElementById("choices").innerHTML = "";
    document.getElementById("progress").textContent = "";
    document.getElementById("pause").hidden = true;
    document.getElementById("next").hidden = true;
  }
  function show() {
    if (state.at >= CALLS.length) { finish(); return; }
    var call = CALLS[state.at];
    document.getElementById("progress").textContent = "Call " + (state.at + 1) + " of " + CALLS.length;
    document.getElementById("caller").textContent = call.caller;
    document.getElementById("line").textContent = "\u201c" + call.line + "\u201d";
    document.getElementById("feedback").textContent = "";
    document.getElementById("next").hidden = true;
    var box = document.getElementById("choices");
    box.innerHTML = "";
    call.choices.forEach(function (text, n) {
      var button = document.createElement("button");
      button.type = "button";
      button.textContent = text;
      button.onclick = function () {
        var right = n === call.right;
        if (right) state.right += 1;
        state.at += 1;
        document.getElementById("feedback").textContent = right ? "Yes: they feel heard." : "That answers, but does not listen.";
        Array.prototype.forEach.call(box.querySelectorAll("button"), function (b) { b.disabled = true; });
        save();
        document.getElementById("next").hidden = false;
      };
      box.appendChild(button);
    });
  }
  document.getElementById("next").onclick = show;
  document.getElementById("pause").onclick = function () {
    api.SetValue("cmi.session_time", seconds());
    api.SetValue("cmi.exit", "suspend");
    save();
    api.Terminate("");
    document.getElementById("line").textContent = "Saved. Open this step again to carry on where you left off.";
    document.getElementById("choices").innerHTML = "";
  };
  api.SetValue("cmi.completion_status", "incomplete");
  show();
});
