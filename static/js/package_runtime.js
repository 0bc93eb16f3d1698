/* The SCORM runtime inside a package's sandboxed frame (served with the package's own pages).
 *
 * It gives the unit the API its standard looks for (window.API for SCORM 1.2, window.API_1484_11
 * for 2004), made by the vendored scorm-again, loaded with the attempt's stored data so a learner
 * resumes where they left, on any device. The frame has an opaque origin and no cookies, so it
 * never talks to lxp itself: each commit and the final one go to lxp's player page around it as a
 * message, and that page sends them on. A page opened on its own gets no API. A unit that loads
 * its content in an inner frame (which, sandboxed too, cannot reach its parent's API) finds an
 * API in that frame itself, seeded the same way and reporting to lxp's page the same way.
 *
 * In a SCORM 2004 package played as one item, each SCO gets its own data and
 * adl.nav.request_valid.* from lxp's sequencing; the adl.nav.request it leaves at Terminate goes
 * with its last commit, and lxp's navigation bar asks a running SCO to end itself first.
 */
(function () {
  "use strict";
  var holder = document.getElementById("lxp-package-start");
  if (!holder || window.parent === window) return;
  var start = JSON.parse(holder.textContent);
  var scorm12 = start.standard === "scorm_1.2";
  var settings = { autocommit: false, lmsCommitUrl: false, logLevel: 5, sendFullCommit: true };
  var api = scorm12 ? new window.Scorm12API(settings) : new window.Scorm2004API(settings);

  function seed() {
    var data = JSON.parse(JSON.stringify(start.snapshot || {}));
    var cmi = data.cmi || (data.cmi = {});
    if (scorm12) {
      var core = cmi.core || (cmi.core = {});
      core.student_id = start.learner_id;
      core.student_name = start.learner_name;
      core.entry = start.entry;
      core.total_time = start.total_time;
      core.credit = "credit";
      core.lesson_mode = "normal";
      if (start.pass_mark) (cmi.student_data || (cmi.student_data = {})).mastery_score = String(start.pass_mark);
    } else {
      cmi.learner_id = start.learner_id;
      cmi.learner_name = start.learner_name;
      cmi.entry = start.entry;
      cmi.total_time = start.total_time;
      cmi.credit = "credit";
      cmi.mode = "normal";
      if (start.pass_mark) cmi.scaled_passing_score = String(start.pass_mark / 100);
    }
    return data;
  }

  if (start.nav && !scorm12) {
    try {
      api.adl.nav.request_valid.continue = start.nav.continue;
      api.adl.nav.request_valid.previous = start.nav.previous;
    } catch (error) {
      if (window.console) window.console.warn("lxp: navigation not offered to the unit", error);
    }
    try {
      api.adl.nav.request_valid.choice = start.nav.choice;
    } catch (error) {
      // scorm-again 3.4 refuses some SCO identifiers in its choice map: the unit then reads "unknown".
    }
  }

  try {
    api.loadFromJSON(seed(), "");
  } catch (error) {
    // A snapshot the runtime no longer accepts: start the session without it rather than not at all.
    if (window.console) window.console.warn("lxp: stored run-time data not loaded", error);
  }

  function snapshot() {
    var data = JSON.parse(api.renderCMIToJSONString());
    return data && data.cmi ? data : { cmi: data };
  }

  var live = false, ended = false;

  function navRequest() {
    try { return scorm12 ? "" : String(api.adl.nav.request || ""); } catch (error) { return ""; }
  }

  function send(terminated) {
    window.top.postMessage({
      lxp: "package-commit", token: start.token, baseSeq: start.seq, terminated: terminated, cmi: snapshot(),
      nav: terminated ? navRequest() : ""
    }, start.origin);
  }

  // lxp's navigation bar: a running SCO ends itself with the learner's request; otherwise lxp goes on.
  window.addEventListener("message", function (event) {
    var data = event.data;
    if (event.source !== window.top || !data || data.lxp !== "package-nav" || typeof data.request !== "string") return;
    if (live && !ended && !scorm12) {
      api.SetValue("adl.nav.request", data.request);
      api.Terminate("");
    } else {
      window.top.postMessage({ lxp: "package-nav", request: data.request, token: start.token }, start.origin);
    }
  });

  if (scorm12) {
    api.on("LMSInitialize", function () { live = true; });
    api.on("LMSCommit", function () { send(false); });
    api.on("LMSFinish", function () { ended = true; send(true); });
    window.API = api;
  } else {
    api.on("Initialize", function () { live = true; });
    api.on("Commit", function () { send(false); });
    api.on("Terminate", function () { ended = true; send(true); });
    window.API_1484_11 = api;
  }
})();
