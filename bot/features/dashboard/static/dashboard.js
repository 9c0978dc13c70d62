// The dashboard's only script (the CSP allows no inline script). Inside Telegram (a Mini App) it signs in
// with Telegram's signed initData: from window.Telegram.WebApp when Telegram's own script is present,
// otherwise from the tgWebAppData parameter Telegram puts in the page's #hash. Nothing else runs here.
"use strict";
(function () {
  function initData() {
    var tg = window.Telegram && window.Telegram.WebApp;
    if (tg && tg.initData) { return tg.initData; }
    var hash = (window.location.hash || "").replace(/^#/, "");
    if (!hash) { return ""; }
    var params = new URLSearchParams(hash);
    return params.get("tgWebAppData") || "";
  }
  function start() {
    // A sign-in link's page: open the session at once (a link preview never runs this, so never spends it).
    var signin = document.getElementById("signin-form");
    if (signin) { signin.submit(); return; }
    var form = document.getElementById("tg-signin");
    if (!form) { return; }
    var data = initData();
    if (!data) { return; }
    form.elements.init_data.value = data;
    form.submit();
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
