/* A cmi5 AU without a library: fetch the launch's token, read LMS.LaunchData and the learner's
   preferences, send initialized, then passed or failed, completed and terminated (cmi5 8-10). */
(function () {
  "use strict";
  var query = new URLSearchParams(window.location.search);
  var endpoint = query.get("endpoint"), actor = JSON.parse(query.get("actor") || "null");
  var registration = query.get("registration"), activityId = query.get("activityId");
  var statusLine = document.getElementById("status"), form = document.getElementById("check");
  var auth = null, context = null, started = Date.now();
  var ADL = "http://adlnet.gov/expapi/verbs/";
  var CATEGORY = { id: "https://w3id.org/xapi/cmi5/context/categories/cmi5" };

  function show(text) { statusLine.textContent = text; }
  function uuid() {
    var b = crypto.getRandomValues(new Uint8Array(16)), h = [];
    b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
    for (var i = 0; i < 16; i++) { h.push((b[i] + 0x100).toString(16).slice(1)); }
    return h.slice(0, 4).join("") + "-" + h.slice(4, 6).join("") + "-" + h.slice(6, 8).join("") + "-" +
      h.slice(8, 10).join("") + "-" + h.slice(10).join("");
  }
  function headers() {
    return { "Authorization": "Basic " + auth, "X-Experience-API-Version": "1.0.3", "Content-Type": "application/json" };
  }
  function lrs(path, params) {
    var url = endpoint + path + "?" + new URLSearchParams(params).toString();
    return fetch(url, { headers: headers() }).then(function (r) { return r.ok ? r.json() : {}; });
  }
  function send(verb, result) {
    var ctx = JSON.parse(JSON.stringify(context));
    ctx.registration = registration;
    ctx.contextActivities = ctx.contextActivities || {};
    ctx.contextActivities.category = [CATEGORY];
    var statement = { id: uuid(), actor: actor, verb: { id: ADL + verb, display: { "en-US": verb } },
                      object: { id: activityId, objectType: "Activity" }, context: ctx,
                      timestamp: new Date().toISOString() };
    if (result) { statement.result = result; }
    return fetch(endpoint + "statements", { method: "POST", headers: headers(), body: JSON.stringify(statement) })
      .then(function (r) { if (!r.ok) { throw new Error("statement refused: " + r.status); } });
  }

  fetch(query.get("fetch"), { method: "POST" })
    .then(function (r) { return r.json(); })
    .then(function (token) {
      if (!token["auth-token"]) { throw new Error(token["error-text"] || "no token"); }
      auth = token["auth-token"];
      var about = { activityId: activityId, agent: JSON.stringify(actor), registration: registration };
      return Promise.all([lrs("activities/state", Object.assign({ stateId: "LMS.LaunchData" }, about)),
                          lrs("agents/profile", { profileId: "cmi5LearnerPreferences", agent: JSON.stringify(actor) })]);
    })
    .then(function (found) {
      context = found[0].contextTemplate || {};
      document.documentElement.lang = (found[1].languagePreference || "en").split(",")[0];
      return send("initialized");
    })
    .then(function () { show("Two questions. Choose an answer for each."); form.hidden = false; })
    .catch(function (error) { show("This unit cannot reach lxp: " + error.message); });

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var right = ["q1", "q2"].filter(function (name) {
      var chosen = form.querySelector("input[name=" + name + "]:checked");
      return chosen && chosen.value === "1";
    }).length;
    var scaled = right / 2, passed = scaled >= 0.5;
    form.hidden = true;
    send(passed ? "passed" : "failed", { score: { scaled: scaled }, success: passed })
      // A retry in the same registration: completed was sent the first time, and cmi5 takes it once.
      .then(function () { return send("completed", { completion: true }).catch(function () {}); })
      .then(function () {
        return send("terminated", { duration: "PT" + Math.round((Date.now() - started) / 1000) + "S" });
      })
      .then(function () { show(passed ? "Passed: " + right + " of 2." : "Not yet: " + right + " of 2. Open the step again to retry."); })
      .catch(function (error) { show("Not saved: " + error.message); });
  });
})();
