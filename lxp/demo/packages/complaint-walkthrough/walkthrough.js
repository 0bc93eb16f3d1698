/* A SCORM 2004 package of two SCOs: the steps, then a check. Each SCO asks the LMS for the next
   one through adl.nav.request, and offers "back" only when the LMS says previous is valid. */
var STEPS = ["Let them finish", "Name what it cost them", "Say what you will do, and by when", "Close the loop"];
window.addEventListener("DOMContentLoaded", function () {
  var api = window.API_1484_11;
  var status = document.getElementById("status");
  if (!api) { status.textContent = "This walkthrough needs an LMS to run in."; return; }
  api.Initialize("");
  var started = Date.now();
  function seconds() { return "PT" + Math.round((Date.now() - started) / 1000) + "S"; }
  function leave(request) {
    api.SetValue("cmi.session_time", seconds());
    api.SetValue("cmi.exit", "normal");
    api.SetValue("adl.nav.request", request);
    api.Commit("");
    api.Terminate("");
  }
  if (document.body.getAttribute("data-part") === "steps") {
    api.SetValue("cmi.completion_status", "completed");
    api.Commit("");
    var onward = document.getElementById("continue");
    onward.disabled = api.GetValue("adl.nav.request_valid.continue") !== "true";
    onward.onclick = function () { status.textContent = "On to the check."; leave("continue"); };
    return;
  }
  var back = document.getElementById("back");
  back.hidden = api.GetValue("adl.nav.request_valid.previous") !== "true";
  back.onclick = function () { leave("previous"); };
  var answers = [];
  var places = document.getElementById("places");
  STEPS.forEach(function (_, place) {
    var group = document.createElement("fieldset");
    var legend = document.createElement("legend");
    legend.textContent = "Step " + (place + 1);
    group.appendChild(legend);
    STEPS.slice().sort().forEach(function (step) {
      var button = document.createElement("button");
      button.type = "button";
      button.textContent = step;
      button.onclick = function () {
        answers[place] = step;
        Array.prototype.forEach.call(group.querySelectorAll("button"), function (b) { b.disabled = b !== button; });
        if (answers.filter(Boolean).length === STEPS.length) finish();
      };
      group.appendChild(button);
    });
    places.appendChild(group);
  });
  function finish() {
    var right = STEPS.filter(function (step, n) { return answers[n] === step; }).length;
    var scaled = right / STEPS.length;
    api.SetValue("cmi.score.scaled", scaled.toFixed(2));
    api.SetValue("cmi.score.raw", String(right));
    api.SetValue("cmi.score.min", "0");
    api.SetValue("cmi.score.max", String(STEPS.length));
    api.SetValue("cmi.completion_status", "completed");
    api.SetValue("cmi.success_status", scaled >= 0.75 ? "passed" : "failed");
    status.textContent = right + " of " + STEPS.length + " in the right place. " +
      (scaled >= 0.75 ? "That is the order that turns a complaint into trust." : "Read the steps again and have another go.");
    api.SetValue("cmi.session_time", seconds());
    api.SetValue("cmi.exit", "normal");
    api.Commit("");
    api.Terminate("");
    back.hidden = true;
  }
});
