// Live updates from /analytics/live/events (server-sent events): on the Live page each new
// interaction becomes the list's first row, on a follower's page each new one of theirs, on a
// person's page each new one of any of their identities (data-live-person lists the follower ids);
// on any page an element with data-live-count counts them. EventSource reconnects by itself and
// sends Last-Event-ID, so the server replays what was missed. Without this script the pages show what was stored when they were loaded.
(function () {
  "use strict";
  if (!window.EventSource) { return; }
  var counters = document.querySelectorAll("[data-live-count]");
  var list = document.querySelector("#live-list tbody");
  var timeline = document.querySelector("tbody[data-live-follower]");
  var personal = document.querySelector("tbody[data-live-person]");
  var identities = personal ? personal.dataset.livePerson.split(" ") : [];
  var status = document.getElementById("live-status");
  var note = document.getElementById("live-note");
  var count = 0;
  var MAX_ROWS = 500;

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  function when(iso, precision) {
    var d = new Date(iso);
    var day = d.getUTCFullYear() + "-" + pad(d.getUTCMonth() + 1) + "-" + pad(d.getUTCDate());
    if (precision === "observed") { return "seen by " + day; }
    return day + " " + pad(d.getUTCHours()) + ":" + pad(d.getUTCMinutes()) + " UTC";
  }

  function cell(text, className) {
    var td = document.createElement("td");
    if (className) { td.className = className; }
    if (text instanceof Node) { td.appendChild(text); } else { td.textContent = text; }
    return td;
  }

  function link(href, text) {
    var a = document.createElement("a");
    a.href = href;
    a.textContent = text;
    return a;
  }

  function badge(className, text) {
    var span = document.createElement("span");
    span.className = "badge " + className;
    span.textContent = text;
    return span;
  }

  // The columns after "When": the Live page's who and platform ("live"), a person's platform
  // and handle in one cell ("person"), none on a follower's own page ("follower").
  function row(item, shape) {
    var tr = document.createElement("tr");
    tr.dataset.id = item.id;
    tr.dataset.precision = item.time_precision;
    tr.dataset.type = item.interaction_type;
    tr.className = "live-new";
    tr.appendChild(cell(when(item.occurred_at, item.time_precision)));
    if (shape === "live") {
      tr.appendChild(cell(link("/analytics/followers/" + item.follower_id, item.username || "–"), "text"));
      tr.appendChild(cell(badge("platform-" + item.platform, item.platform), "text"));
    } else if (shape === "person") {
      var who = cell(badge("platform-" + item.platform, item.platform), "text");
      who.appendChild(document.createTextNode(" "));
      who.appendChild(link("/analytics/followers/" + item.follower_id, "@" + (item.username || "")));
      tr.appendChild(who);
    }
    tr.appendChild(cell(badge("type", item.interaction_type), "text"));
    tr.appendChild(cell(item.content_id
      ? link("/analytics/content/" + item.content_id, item.content_title || "post") : "–", "text"));
    tr.appendChild(cell(item.interaction_value || "", "text"));
    return tr;
  }

  function counted(n) {
    count += n;
    counters.forEach(function (el) { el.textContent = count.toLocaleString("en"); });
  }

  function say(text) {
    if (!note) { return; }
    note.textContent = text;
    note.hidden = false;
  }

  var source = new EventSource("/analytics/live/events");
  source.addEventListener("interaction", function (e) {
    var item = JSON.parse(e.data);
    counted(1);
    if (timeline && timeline.dataset.liveFollower === item.follower_id &&
        !timeline.querySelector('tr[data-id="' + item.id + '"]')) {
      timeline.insertBefore(row(item, "follower"), timeline.firstChild);
    }
    if (personal && identities.indexOf(item.follower_id) >= 0 &&
        !personal.querySelector('tr[data-id="' + item.id + '"]')) {
      personal.insertBefore(row(item, "person"), personal.firstChild);
    }
    if (!list || list.querySelector('tr[data-id="' + item.id + '"]')) { return; }
    list.insertBefore(row(item, "live"), list.firstChild);
    while (list.rows.length > MAX_ROWS) { list.deleteRow(-1); }
    var empty = document.getElementById("live-empty");
    if (empty) { empty.remove(); }
  });
  source.addEventListener("many", function (e) {
    var n = JSON.parse(e.data).count;
    counted(n);
    say(n.toLocaleString("en") + " interactions stored at once (an import): reload to list them.");
  });
  source.addEventListener("gap", function () {
    say("Some interactions stored while the connection was down are not listed: reload to see them.");
  });
  source.onopen = function () {
    if (status) { status.textContent = "Live: connected"; status.dataset.state = "open"; }
  };
  source.onerror = function () {
    if (status) { status.textContent = "Reconnecting…"; status.dataset.state = "reconnecting"; }
  };
}());
