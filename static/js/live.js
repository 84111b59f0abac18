// Live pages: one EventSource on the account's stream (vpn/live.py). A message names a
// connection, its gateway and its new state; every region on the page that shows it
// (data-live-gateway="ID", data-live-connection="ID" or data-live-account) gets the htmx event
// "live", which its hx-trigger answers with a refresh of its fragment. The rendering stays on the
// server and an idle page sends no request; the regions' slow "every Ns" trigger is the safety
// net. After a lost stream (a server restart) the browser reconnects by itself, and every region
// is refreshed once, for what it missed meanwhile. The answer to the page's own action carries
// a message too ("live-message", below).
(function () {
  "use strict";
  const script = document.currentScript;
  const url = script && script.dataset.events;
  const SELECTOR = "[data-live-gateway], [data-live-connection], [data-live-account]";

  function shows(el, message) {
    if (el.hasAttribute("data-live-account")) { return true; }
    return String(message.gateway) === el.dataset.liveGateway ||
      String(message.connection) === el.dataset.liveConnection;
  }

  // One refresh at a time: a region swaps itself out (outerHTML), so a second request started
  // while the first is in flight could land in the element the first one just replaced and be
  // lost. Messages that arrive meanwhile are kept and answered once the first has settled.
  let waiting = [];
  let busy = null;  // the timer that ends a refresh whose settle we never saw

  function refresh(message) {
    waiting.push(message);
    if (!busy) { next(); }
  }

  function next() {
    busy = null;
    const messages = waiting;
    waiting = [];
    const regions = Array.from(document.querySelectorAll(SELECTOR)).filter(function (el) {
      return messages.some(function (message) { return !message || shows(el, message); });
    });
    if (!regions.length) { return; }
    busy = setTimeout(next, 3000);
    regions.forEach(function (el) { htmx.trigger(el, "live"); });
  }

  function settled(event) {
    if (busy && event.target.matches && event.target.matches(SELECTOR)) {
      clearTimeout(busy);
      busy = null;
      if (waiting.length) { next(); }
    }
  }
  document.addEventListener("htmx:afterSettle", settled);
  document.addEventListener("htmx:afterRequest", function (event) {
    if (!event.detail.successful) { settled(event); }
  });

  // The answer to this page's own action (a dialog's OK) carries the same message as an htmx
  // client event (vpn/views.py, _shown_in_place): the page shows its own change at once, with
  // its stream open or not. The stream brings that message too; both were sent after the change
  // was committed, so whichever comes second asks for nothing the first did not, and is dropped
  // (a refresh fewer in front of the next change, e.g. the tunnel coming up).
  const TWICE_MS = 2000;
  const copies = new Map();  // "connection state" → {at, from} of a first copy
  function firstCopy(message, from) {
    const now = Date.now();
    copies.forEach(function (copy, key) { if (now - copy.at > TWICE_MS) { copies.delete(key); } });
    const key = message.connection + " " + message.state;
    const copy = copies.get(key);
    if (copy && copy.from !== from) {
      copies.delete(key);
      return false;
    }
    copies.set(key, {at: now, from: from});
    return true;
  }
  document.addEventListener("live-message", function (event) {
    if (firstCopy(event.detail, "answer")) { refresh(event.detail); }
  });

  let source = null;
  let missed = false;  // a stream was lost or closed: refresh once it is open again

  function open() {
    source = new EventSource(url);
    source.addEventListener("open", function () {
      if (missed) { refresh(null); }
      missed = false;
    });
    source.addEventListener("error", function () { missed = true; });
    source.addEventListener("message", function (event) {
      let message;
      try { message = JSON.parse(event.data); } catch (error) { return; }
      if (message.refresh) {
        refresh(null);
      } else if (firstCopy(message, "stream")) {
        refresh(message);
      }
    });
  }

  // A hidden tab holds no stream (a browser opens at most six connections to one HTTP/1.1
  // server across its tabs); it catches up when shown again.
  function onVisibility() {
    if (document.hidden && source) {
      source.close();
      source = null;
      missed = true;
    } else if (!document.hidden && !source) {
      open();
    }
  }

  function start() {
    if (!url || !window.EventSource || !document.querySelector(SELECTOR)) { return; }
    document.addEventListener("visibilitychange", onVisibility);
    if (!document.hidden) { open(); }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
